package views

import (
	"net/url"
	"strings"

	"referrals/models"
)

// ShareKit is what a referrer shares in one program: their link, a message to send with
// it, ready-made share links for the usual apps, and a QR code. It depends only on the
// program, the link and the referrer's name, so the handler makes it once and caches it.
type ShareKit struct {
	Link string
	// Message is the default sentence sent with the link: the friend's perk and the
	// deadline. The referrer may edit it on the page (JavaScript then updates the links).
	Message string
	Links   []ShareLink
	QR      QRCode
	// Terms are the program's terms in one line, as the referrer reads them.
	Terms string
}

// ShareLink opens one app's share screen with the message and the link. Href carries the
// invite link as a query value escaped by url.QueryEscape. Template is Href with the
// message left as messagePlaceholder (escaped), for the script that puts an edited
// message in.
type ShareLink struct {
	// Service is the data-share value: email, linkedin, x, whatsapp or sms.
	Service  string
	Label    string
	Href     string
	Template string
}

// messagePlaceholder stands for the message in ShareLink.Template.
const messagePlaceholder = "{message}"

// ShareServices are the share links' services, in the order shown.
func ShareServices() []string { return []string{"email", "linkedin", "x", "whatsapp", "sms"} }

// NewShareKit makes the share kit of program p for the invite link of referrerName.
// marketplace is MARKETPLACE_NAME.
func NewShareKit(p models.Program, link, referrerName, marketplace string) (ShareKit, error) {
	qr, err := NewQRCode(link)
	if err != nil {
		return ShareKit{}, err
	}
	perk := Plural(int64(p.PerkMonths), "month", "months") + " of Freelancer Plus free"
	k := ShareKit{
		Link: link,
		Message: "I've been finding good work on " + marketplace + " and I think you'd like it too. Sign up with my invite link by " +
			Date(p.Deadline, p.Location()) + " and you get " + perk + ".",
		QR:    qr,
		Terms: ProgramTerms(p),
	}
	q := url.QueryEscape
	// Mail and SMS apps read + literally: spaces there are %20 (RFC 6068).
	mail := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	subject := "Join me on " + marketplace + ": " + perk
	hrefs := map[string]func(msg string) string{
		"email": func(msg string) string {
			return "mailto:?subject=" + mail(subject) + "&body=" + mail("Hi,\n\n"+msg+"\n\n"+link+"\n\n"+models.FirstName(referrerName))
		},
		"linkedin": func(string) string { return "https://www.linkedin.com/sharing/share-offsite/?url=" + q(link) },
		"x":        func(msg string) string { return "https://x.com/intent/post?text=" + q(msg) + "&url=" + q(link) },
		"whatsapp": func(msg string) string { return "https://wa.me/?text=" + q(msg+" "+link) },
		"sms":      func(msg string) string { return "sms:?&body=" + mail(msg+" "+link) },
	}
	labels := map[string]string{"email": "Email", "linkedin": "LinkedIn", "x": "X", "whatsapp": "WhatsApp", "sms": "Text message"}
	for _, s := range ShareServices() {
		k.Links = append(k.Links, ShareLink{Service: s, Label: labels[s], Href: hrefs[s](k.Message), Template: hrefs[s](messagePlaceholder)})
	}
	return k, nil
}

// SharePlaceholder is messagePlaceholder as it appears escaped in a ShareLink's Template.
func SharePlaceholder() string { return url.QueryEscape(messagePlaceholder) }

// Capitalized starts a name with a capital letter, for the start of a sentence ("the
// marketplace" -> "The marketplace").
func Capitalized(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}
