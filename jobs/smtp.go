package jobs

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"referrals/models"
)

// TLSMode is how the connection to the SMTP server is protected.
type TLSMode string

const (
	// TLSNone sends in the clear: for a relay on the same host or network only.
	TLSNone TLSMode = "none"
	// TLSStartTLS upgrades a plain connection with STARTTLS, which the server must offer.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (SMTPS, usually port 465).
	TLSImplicit TLSMode = "tls"
)

// SMTPConfig says how to reach the SMTP server that relays the app's email (SMTP_URL).
type SMTPConfig struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	Password string
	From     netmail.Address
	TLS      TLSMode
}

// smtpTimeout bounds each step of a conversation with the SMTP server (connecting, each
// command), so a stalled server fails an attempt instead of holding it.
const smtpTimeout = 30 * time.Second

// Mailer hands emails to the SMTP server, one connection per email.
type Mailer struct {
	cfg SMTPConfig
}

// NewMailer makes a mailer for cfg.
func NewMailer(cfg SMTPConfig) *Mailer { return &Mailer{cfg: cfg} }

// What Send reports besides success and a failure worth retrying.
var (
	// errRefused: the SMTP server refused the message for good (a 5xx reply), or it can
	// never be sent (an invalid address). Retrying would not help.
	errRefused = errors.New("refused")
	// errUncertain: the whole message was sent, but the connection failed before the
	// server answered, so it may or may not have accepted it.
	errUncertain = errors.New("no answer from the SMTP server after the message was sent; it may have been accepted")
)

// Outgoing is one email as it goes out: the outbox row, its content written out for
// this attempt, and its Message-ID.
type Outgoing struct {
	Email     models.Email
	Content   models.EmailContent
	MessageID string
	Date      time.Time
}

// Send hands o to the SMTP server. It returns nil once the server accepted the message,
// even if closing the connection then failed; errRefused or errUncertain (wrapped) as
// described there; and any other error when the server certainly did not accept it.
func (m *Mailer) Send(ctx context.Context, o Outgoing) error {
	msg, err := m.message(o)
	if err != nil {
		return fmt.Errorf("%w: %w", errRefused, err)
	}
	client, err := mail.NewClient(m.cfg.Host, m.options()...)
	if err != nil {
		return fmt.Errorf("%w: SMTP settings: %w", errRefused, err)
	}
	err = client.DialAndSendWithContext(ctx, msg)
	if msg.IsDelivered() {
		return nil
	}
	if err == nil {
		return errors.New("the SMTP server did not confirm the message")
	}
	var sendErr *mail.SendError
	if errors.As(err, &sendErr) {
		switch {
		case sendErr.ErrorCode() >= 500:
			return fmt.Errorf("%w: %w", errRefused, err)
		case sendErr.ErrorCode() == 0 && sendErr.Reason == mail.ErrSMTPDataClose:
			return fmt.Errorf("%w: %w", errUncertain, err)
		}
	}
	return err
}

func (m *Mailer) options() []mail.Option {
	opts := []mail.Option{mail.WithPort(m.cfg.Port), mail.WithTimeout(smtpTimeout)}
	switch m.cfg.TLS {
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if m.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(m.cfg.Username), mail.WithPassword(m.cfg.Password))
	}
	return opts
}

// message writes o out as a MIME message: multipart/alternative with the plain-text
// part and, when the email has one, its HTML alternative. A marketing email carries
// the one-click unsubscribe headers of RFC 2369 and RFC 8058.
func (m *Mailer) message(o Outgoing) (*mail.Msg, error) {
	msg := mail.NewMsg()
	msg.FromMailAddress(&m.cfg.From)
	if err := msg.To(o.Email.Recipient); err != nil {
		return nil, fmt.Errorf("recipient %q: %w", o.Email.Recipient, err)
	}
	msg.Subject(o.Content.Subject)
	msg.SetMessageIDWithValue(o.MessageID)
	msg.SetDateWithValue(o.Date)
	msg.SetUserAgent("Referrals")
	// RFC 3834: automatic replies (out of office) should not answer it.
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	if o.Content.Unsubscribe != "" {
		msg.SetGenHeader("List-Unsubscribe", "<"+o.Content.Unsubscribe+">")
		msg.SetGenHeader("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
	}
	msg.SetBodyString(mail.TypeTextPlain, o.Content.Text)
	if o.Content.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, o.Content.HTML)
	}
	return msg, nil
}

// idLeft is what a dedupe key may hold to appear as it is in a Message-ID.
var idLeft = regexp.MustCompile(`^[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)*$`)

// MessageID is the Message-ID (without angle brackets) of the email with dedupeKey, sent
// by the installation with that id (models.Store.InstallationID) from the address from.
// It is the dedupe key itself (":" written as "."), so every attempt at one email
// carries the same Message-ID: the SMTP server's log tells whether it was accepted, and
// mail systems recognise a duplicate. The installation id keeps it apart from the same
// key of another installation (every database has an invitation:1). Keys of any other
// shape are hex-encoded behind a "=", which the first form never starts with.
func MessageID(dedupeKey, installation, from string) string {
	left := strings.ReplaceAll(dedupeKey, ":", ".")
	if !idLeft.MatchString(dedupeKey) {
		left = fmt.Sprintf("=%x", dedupeKey)
	}
	domain := "referrals.invalid"
	if at := strings.LastIndexByte(from, '@'); at >= 0 && at < len(from)-1 {
		domain = from[at+1:]
	}
	return left + "." + installation + ".referrals@" + domain
}
