package views

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"

	"referrals/models"
	"referrals/tokens"
)

// DefaultMarketplaceName names the marketplace when MARKETPLACE_NAME is not set.
const DefaultMarketplaceName = "the marketplace"

// Emails writes out the program's emails (R13): a subject, a plain-text part and an HTML
// part. It implements models.EmailRenderer. The process that sends an email writes it
// out, so its links start with that process's BaseURL.
type Emails struct {
	// BaseURL starts every link, e.g. https://referrals.example.com.
	BaseURL string
	// Marketplace is the marketplace's name (MARKETPLACE_NAME), the emails' brand.
	Marketplace string
	// Unsubscribe signs the one-click unsubscribe links of marketing email; handlers
	// read them back with it.
	Unsubscribe *tokens.Codec
}

// NewEmails makes the emails of the installation at baseURL, for the marketplace
// (empty: DefaultMarketplaceName), with unsubscribe links signed under the session secret.
func NewEmails(baseURL, marketplace string, sessionSecret []byte) (Emails, error) {
	codec, err := tokens.New(sessionSecret, tokens.Unsubscribe)
	if err != nil {
		return Emails{}, err
	}
	if marketplace == "" {
		marketplace = DefaultMarketplaceName
	}
	return Emails{BaseURL: strings.TrimRight(baseURL, "/"), Marketplace: marketplace, Unsubscribe: codec}, nil
}

// UnsubscribeURL is the one-click unsubscribe link of user id: it never expires, and
// only this installation (its session secret) can have made it.
func (e Emails) UnsubscribeURL(userID int64) (string, error) {
	if e.Unsubscribe == nil || userID == 0 {
		return "", errors.New("no unsubscribe link: marketing email needs a recipient with an account, and an unsubscribe key")
	}
	token, err := e.Unsubscribe.Encode(userID)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(e.BaseURL, "/") + "/unsubscribe/" + token, nil
}

// emailView is what both parts of an email show.
type emailView struct {
	// Brand names the sender at the top of the HTML part.
	Brand     string
	Greeting  string
	Lines     []string
	LinkLabel string
	Link      string
	// Footer explains why the email came.
	Footer string
	// Unsubscribe is the one-click unsubscribe link of a marketing email.
	Unsubscribe string
}

// RenderEmail writes out msg.
func (e Emails) RenderEmail(msg models.EmailMessage) (models.EmailContent, error) {
	subject, v, err := e.compose(msg)
	if err != nil {
		return models.EmailContent{}, err
	}
	if msg.Kind.Marketing() {
		if v.Unsubscribe, err = e.UnsubscribeURL(msg.To.ID); err != nil {
			return models.EmailContent{}, fmt.Errorf("%s email: %w", msg.Kind, err)
		}
	}
	var html bytes.Buffer
	if err := emailHTML(subject, v).Render(context.Background(), &html); err != nil {
		return models.EmailContent{}, err
	}
	return models.EmailContent{Subject: subject, Text: emailText(v), HTML: html.String(), Unsubscribe: v.Unsubscribe}, nil
}

func (e Emails) compose(msg models.EmailMessage) (string, emailView, error) {
	p := msg.Program
	loc := p.Location()
	base := strings.TrimRight(e.BaseURL, "/")
	marketplace := cmp.Or(e.Marketplace, DefaultMarketplaceName)
	terms := fmt.Sprintf("When a friend who is new to %s signs up through your link and earns %s from %s projects by %s, you earn a %s credit. Your friend gets %s of Freelancer Plus free.",
		marketplace, WholeMoney(p.ThresholdCents), ListWords(p.Categories), DateTime(p.Deadline, loc), WholeMoney(p.RewardCents),
		Plural(int64(p.PerkMonths), "month", "months"))
	marketingFooter := "You received this email because you are a Top Rated freelancer on " + marketplace + ", eligible for the " + p.Name +
		" program. Unsubscribe to stop receiving program invitations and reminders; emails about your own referrals and credits still come."
	transactionalFooter := "You received this email about your account in the " + p.Name + " program on " + marketplace + "."
	v := emailView{Brand: Capitalize(marketplace) + " referrals", Greeting: "Hi " + msg.To.Name + ","}
	var subject string
	switch msg.Kind {
	case models.EmailInvitation:
		subject = fmt.Sprintf("Earn %s for each friend you refer", WholeMoney(p.RewardCents))
		v.Lines = []string{"You're invited to the " + p.Name + " program.", terms, "Share your personal invite link with friends who might like freelancing:"}
		v.LinkLabel, v.Link = base+"/r/"+msg.InviteCode, base+"/r/"+msg.InviteCode
		v.Footer = marketingFooter
	case models.EmailReminder:
		subject = "Your invite link is waiting"
		v.Lines = []string{"A quick reminder: you can still refer friends in the " + p.Name + " program.", terms, "Your personal invite link:"}
		v.LinkLabel, v.Link = base+"/r/"+msg.InviteCode, base+"/r/"+msg.InviteCode
		v.Footer = marketingFooter
	case models.EmailFriendJoined:
		subject = msg.FriendName + " joined through your invite"
		v.Lines = []string{
			msg.FriendName + " signed up through your invite link.",
			fmt.Sprintf("When they earn %s from %s projects by %s, you earn a %s credit. You can follow their progress on your dashboard.",
				WholeMoney(p.ThresholdCents), ListWords(p.Categories), DateTime(p.Deadline, loc), WholeMoney(p.RewardCents)),
		}
		v.LinkLabel, v.Link = "Open your dashboard", base+"/dashboard"
		v.Footer = transactionalFooter
	case models.EmailFriendQualified:
		subject = fmt.Sprintf("%s qualified: your %s credit is in review", msg.FriendName, WholeMoney(msg.AmountCents))
		v.Lines = []string{
			fmt.Sprintf("%s has earned %s from %s projects.", msg.FriendName, WholeMoney(p.ThresholdCents), ListWords(p.Categories)),
			fmt.Sprintf("Your %s credit is now being reviewed. Once approved, it is paid with that month's batch, within %s after the month ends.",
				WholeMoney(msg.AmountCents), Plural(int64(p.PayoutBusinessDays), "business day", "business days")),
		}
		v.LinkLabel, v.Link = "Open your dashboard", base+"/dashboard"
		v.Footer = transactionalFooter
	case models.EmailCreditApproved:
		subject = fmt.Sprintf("Your %s referral credit was approved", Money(msg.AmountCents))
		v.Lines = []string{
			fmt.Sprintf("Your %s credit for referring %s was approved.", Money(msg.AmountCents), msg.FriendName),
			fmt.Sprintf("It will be paid to your account, with no fee, by %s.", Day(msg.DueDate)),
		}
		v.LinkLabel, v.Link = "Open your dashboard", base+"/dashboard"
		v.Footer = transactionalFooter
	case models.EmailCreditRejected:
		subject = "Your referral credit for " + msg.FriendName + " was not approved"
		v.Lines = []string{
			fmt.Sprintf("We reviewed the %s credit for referring %s and could not approve it.", Money(msg.AmountCents), msg.FriendName),
			"The reason: " + msg.Reason,
			"If you think this is a mistake, reply to this email and tell us what we missed.",
		}
		v.LinkLabel, v.Link = "Read the program terms", base+"/help"
		v.Footer = transactionalFooter
	case models.EmailCreditPaid:
		subject = fmt.Sprintf("Your %s referral credit was paid", Money(msg.AmountCents))
		v.Lines = []string{
			fmt.Sprintf("We credited %s to your account for referring %s, with no fee.", Money(msg.AmountCents), msg.FriendName),
			"It is in your transaction history and you can withdraw it like any other earnings.",
		}
		v.LinkLabel, v.Link = "See your transactions", base+"/transactions"
		v.Footer = transactionalFooter
	case models.EmailSignInLink:
		subject = "Your sign-in link"
		v.Lines = []string{
			"Here is the link you asked for to sign in to the referral program. It works once, for " +
				signInLinkLifetime() + ": until " + DateTime(msg.Expires, SignInLinkLocation()) + ".",
		}
		v.LinkLabel, v.Link = "Sign in", base+msg.LinkPath
		v.Footer = "If you didn't ask for this, ignore this email: nobody can sign in without it."
	case models.EmailStaffInvite:
		subject = "You are now on the referral program's staff"
		v.Lines = []string{
			"You were added to the referral program's staff as " + strings.ToLower(msg.To.Role.Label()) + ".",
			"Sign in with this link. It works once, for " + signInLinkLifetime() + ": until " + DateTime(msg.Expires, SignInLinkLocation()) +
				". You will then set up two-factor sign-in with an authenticator app, and can set a password in Settings.",
			"If the link has expired, ask for a new one on the sign-in page.",
		}
		v.LinkLabel, v.Link = "Sign in", base+msg.LinkPath
		v.Footer = "If you don't know why you got this, ignore this email: nobody can sign in without it."
	default:
		return "", emailView{}, fmt.Errorf("unknown email kind %q", msg.Kind)
	}
	return subject, v, nil
}

// emailText is the plain-text part.
func emailText(v emailView) string {
	var b strings.Builder
	b.WriteString(v.Greeting + "\n\n")
	for _, l := range v.Lines {
		b.WriteString(l + "\n\n")
	}
	if v.Link != "" {
		if v.LinkLabel != v.Link {
			b.WriteString(v.LinkLabel + ": ")
		}
		b.WriteString(v.Link + "\n\n")
	}
	b.WriteString("-- \n" + v.Footer + "\n")
	if v.Unsubscribe != "" {
		b.WriteString("\nUnsubscribe: " + v.Unsubscribe + "\n")
	}
	return b.String()
}
