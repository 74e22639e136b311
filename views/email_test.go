package views

import (
	"strings"
	"testing"
	"time"

	"referrals/models"
)

func TestEveryEmailKindIsWrittenWithItsFacts(t *testing.T) {
	deadline := time.Date(2019, 4, 16, 6, 59, 59, 0, time.UTC)
	p := models.Program{Name: "Customer Service referrals", Categories: []string{"Customer Service"}, ThresholdCents: 50000,
		RewardCents: 10000, Deadline: deadline, TimeZone: "America/Los_Angeles", PerkMonths: 1, PayoutBusinessDays: 5}
	to := models.User{ID: 7, Name: "Maria Santos", Email: "maria@example.com"}
	due := time.Date(2019, 4, 5, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		msg  models.EmailMessage
		want []string
	}{
		{models.EmailMessage{Kind: models.EmailInvitation, To: to, Program: p, InviteCode: "ABCDEFGH12"},
			[]string{"Earn $100", "https://r.example/r/ABCDEFGH12", "$500", "Apr 15, 2019", "new to Acme Work", "Unsubscribe: https://r.example/unsubscribe/"}},
		{models.EmailMessage{Kind: models.EmailReminder, To: to, Program: p, InviteCode: "ABCDEFGH12"},
			[]string{"https://r.example/r/ABCDEFGH12", "Unsubscribe: https://r.example/unsubscribe/"}},
		{models.EmailMessage{Kind: models.EmailFriendJoined, To: to, Program: p, FriendName: "Sam Rivera"},
			[]string{"Sam Rivera joined", "/dashboard"}},
		{models.EmailMessage{Kind: models.EmailFriendQualified, To: to, Program: p, FriendName: "Sam Rivera", AmountCents: 10000},
			[]string{"Sam Rivera qualified", "in review"}},
		{models.EmailMessage{Kind: models.EmailCreditApproved, To: to, Program: p, FriendName: "Sam Rivera", AmountCents: 10000, DueDate: due},
			[]string{"$100.00", "approved", "by Apr 5, 2019"}},
		{models.EmailMessage{Kind: models.EmailCreditRejected, To: to, Program: p, FriendName: "Sam Rivera", AmountCents: 10000, Reason: "Self-referral."},
			[]string{"not approved", "The reason: Self-referral."}},
		{models.EmailMessage{Kind: models.EmailCreditPaid, To: to, Program: p, FriendName: "Sam Rivera", AmountCents: 10000},
			[]string{"$100.00", "was paid", "/transactions", "no fee"}},
		{models.EmailMessage{Kind: models.EmailSignInLink, To: to, LinkPath: "/login/link/TOKEN", Expires: due.Add(17 * time.Hour)},
			[]string{"Your sign-in link", "Sign in: https://r.example/login/link/TOKEN", "works once, for 30 minutes: until Apr 5, 2019, 10:00 AM PDT",
				"If you didn't ask for this, ignore this email: nobody can sign in without it."}},
	}
	emails := testEmails(t)
	for _, tc := range cases {
		c, err := emails.RenderEmail(tc.msg)
		if err != nil {
			t.Fatalf("%s: %v", tc.msg.Kind, err)
		}
		all := c.Subject + "\n" + c.Text
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s: the email does not say %q:\n%s", tc.msg.Kind, w, all)
			}
		}
		if !strings.Contains(c.HTML, "Hi Maria Santos,") || !strings.HasPrefix(c.Text, "Hi Maria Santos,") {
			t.Errorf("%s: no greeting in both parts", tc.msg.Kind)
		}
		if !strings.Contains(c.HTML, ">Acme Work referrals<") {
			t.Errorf("%s: the HTML part is not branded with the marketplace", tc.msg.Kind)
		}
		// Marketing email carries a working unsubscribe link, visible in both parts;
		// transactional email none.
		if tc.msg.Kind.Marketing() != (c.Unsubscribe != "") {
			t.Errorf("%s: unsubscribe link %q", tc.msg.Kind, c.Unsubscribe)
		}
		if c.Unsubscribe != "" {
			var uid int64
			token := strings.TrimPrefix(c.Unsubscribe, "https://r.example/unsubscribe/")
			if err := emails.Unsubscribe.Decode(token, &uid); err != nil || uid != to.ID {
				t.Errorf("%s: the unsubscribe link %s reads as user %d, %v", tc.msg.Kind, c.Unsubscribe, uid, err)
			}
			if !strings.Contains(c.Text, c.Unsubscribe) || !strings.Contains(c.HTML, `href="`+c.Unsubscribe+`"`) {
				t.Errorf("%s: the unsubscribe link is not in both parts", tc.msg.Kind)
			}
		}
		if strings.Contains(c.Text+c.HTML, "nsubscribe") != tc.msg.Kind.Marketing() {
			t.Errorf("%s: unsubscribe wording on a marketing email only", tc.msg.Kind)
		}
	}
	if _, err := emails.RenderEmail(models.EmailMessage{Kind: "nonsense"}); err == nil {
		t.Error("an unknown kind was written")
	}
	if _, err := emails.RenderEmail(models.EmailMessage{Kind: models.EmailInvitation, To: models.User{Name: "No Account"}, Program: p}); err == nil {
		t.Error("an invitation without an unsubscribe link was written")
	}
}

// testEmails writes emails for https://r.example, the marketplace Acme Work.
func testEmails(t *testing.T) Emails {
	t.Helper()
	e, err := NewEmails("https://r.example/", "Acme Work", []byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEmailsEscapeNamesInHTML(t *testing.T) {
	c, err := testEmails(t).RenderEmail(models.EmailMessage{
		Kind: models.EmailFriendJoined, To: models.User{Name: "<b>Maria</b>"}, FriendName: "<script>x</script>",
		Program: models.Program{TimeZone: "UTC", Categories: []string{"CS"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.HTML, "<script>") || strings.Contains(c.HTML, "<b>Maria") {
		t.Errorf("markup from names reached the HTML part:\n%s", c.HTML)
	}
}

func TestSignInLinkTokensAreHiddenFromStaffAndLogs(t *testing.T) {
	for in, want := range map[string]string{
		"Sign in: https://r.example/login/link/AbC-_09\n\nbye": "Sign in: https://r.example/login/link/[hidden]\n\nbye",
		"/login/link/AbC?x=1":         "/login/link/[hidden]?x=1",
		"/login/link/a /login/link/b": "/login/link/[hidden] /login/link/[hidden]",
		"/login/link":                 "/login/link",
		"/dashboard":                  "/dashboard",
	} {
		if got := HideSignInLinkTokens(in); got != want {
			t.Errorf("HideSignInLinkTokens(%q) = %q, want %q", in, got, want)
		}
	}
}
