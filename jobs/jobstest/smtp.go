// Package jobstest gives tests a real SMTP server in the test process
// (github.com/emersion/go-smtp) that keeps every message it accepts, parsed into the
// parts a reader sees, and can be told to refuse messages.
package jobstest

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"referrals/jobs"
)

// Sender is the From address of the tests' email.
const Sender = "referrals@referrals.test"

// Message is one message the server accepted.
type Message struct {
	From      string // the envelope sender (MAIL FROM)
	To        []string
	Header    mail.Header
	Subject   string
	MessageID string // without angle brackets
	Text      string // the text/plain part
	HTML      string // the text/html part
}

// SMTPServer is an SMTP server listening on 127.0.0.1 for one test.
type SMTPServer struct {
	addr *net.TCPAddr

	mu       sync.Mutex
	received []Message
	// reply decides the answer to each message (nil: accept); see Reply.
	reply func(to []string) error
}

// StartSMTP starts a server for t; it stops when t ends.
func StartSMTP(t testing.TB) *SMTPServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &SMTPServer{addr: ln.Addr().(*net.TCPAddr)}
	srv := smtp.NewServer(backend{s})
	srv.Domain = "localhost"
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Config is the mailer configuration that reaches this server.
func (s *SMTPServer) Config() jobs.SMTPConfig {
	return jobs.SMTPConfig{Host: "127.0.0.1", Port: s.addr.Port, From: mail.Address{Name: "Referrals", Address: Sender}, TLS: jobs.TLSNone}
}

// URL is the SMTP_URL that reaches this server.
func (s *SMTPServer) URL() string {
	from := url.QueryEscape(fmt.Sprintf("Referrals <%s>", Sender))
	return fmt.Sprintf("smtp://127.0.0.1:%d?tls=none&from=%s", s.addr.Port, from)
}

// Reply makes the server answer each message by calling f with its recipients: an
// *smtp.SMTPError refuses the message with that code, nil accepts it.
func (s *SMTPServer) Reply(f func(to []string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reply = f
}

// Messages are the messages accepted so far, in order.
func (s *SMTPServer) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.received...)
}

// CheckEachOnce reports an error on t unless want distinct messages arrived, each once
// (told apart by Message-ID).
func (s *SMTPServer) CheckEachOnce(t testing.TB, want int) {
	t.Helper()
	seen := map[string]int{}
	for _, m := range s.Messages() {
		seen[m.MessageID]++
	}
	if len(seen) != want {
		t.Errorf("%d distinct messages arrived, want %d", len(seen), want)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s arrived %d times", id, n)
		}
	}
}

// Temporary and Permanent are refusals for Reply.
var (
	Temporary = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	Permanent = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
)

type backend struct{ s *SMTPServer }

func (b backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: b.s}, nil }

// session is one SMTP conversation.
type session struct {
	s    *SMTPServer
	from string
	to   []string
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	if ss.s.reply != nil {
		if err := ss.s.reply(ss.to); err != nil {
			return err
		}
	}
	m, err := parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unreadable message: " + err.Error()}
	}
	m.From, m.To = ss.from, ss.to
	ss.s.received = append(ss.s.received, m)
	return nil
}

// parse reads a message as a mail client would: headers decoded, each part of a
// multipart/alternative body decoded to text.
func parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, err
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		return Message{}, err
	}
	m := Message{Header: msg.Header, Subject: subject, MessageID: strings.Trim(msg.Header.Get("Message-Id"), "<>")}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return Message{}, err
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		body, err := decode(msg.Body, msg.Header.Get("Content-Transfer-Encoding"))
		m.Text = body
		return m, err
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := parts.NextPart()
		if err == io.EOF {
			return m, nil
		}
		if err != nil {
			return Message{}, err
		}
		// quoted-printable is decoded by the multipart reader itself.
		body, err := decode(p, p.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return Message{}, err
		}
		partType, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch partType {
		case "text/plain":
			m.Text = body
		case "text/html":
			m.HTML = body
		}
	}
}

func decode(r io.Reader, encoding string) (string, error) {
	switch strings.ToLower(encoding) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, r)
	case "quoted-printable":
		r = quotedprintable.NewReader(r)
	}
	b, err := io.ReadAll(r)
	return string(b), err
}
