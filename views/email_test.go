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
	to := models.User{Name: "Maria Santos", Email: "maria@example.com"}
	due := time.Date(2019, 4, 5, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		msg  models.EmailMessage
		want []string
	}{
		{models.EmailMessage{Kind: models.EmailInvitation, To: to, Program: p, InviteCode: "ABCDEFGH12"},
			[]string{"Earn $100", "https://r.example/r/ABCDEFGH12", "$500", "Apr 15, 2019", "stop receiving"}},
		{models.EmailMessage{Kind: models.EmailReminder, To: to, Program: p, InviteCode: "ABCDEFGH12"},
			[]string{"https://r.example/r/ABCDEFGH12", "stop receiving"}},
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
		{models.EmailMessage{Kind: models.EmailSignInLink, To: to, Link: "https://r.example/login/link/TOKEN", Expires: due.Add(17 * time.Hour)},
			[]string{"Your sign-in link", "Sign in: https://r.example/login/link/TOKEN", "works once, for 30 minutes: until Apr 5, 2019, 10:00 AM PDT",
				"If you didn't ask for this, ignore this email: nobody can sign in without it."}},
	}
	for _, tc := range cases {
		c, err := Emails{BaseURL: "https://r.example"}.RenderEmail(tc.msg)
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
		if tc.msg.Kind.Marketing() != strings.Contains(c.Text, "stop receiving") {
			t.Errorf("%s: unsubscribe wording on a marketing email only", tc.msg.Kind)
		}
	}
	if _, err := (Emails{}).RenderEmail(models.EmailMessage{Kind: "nonsense"}); err == nil {
		t.Error("an unknown kind was written")
	}
}

func TestEmailsEscapeNamesInHTML(t *testing.T) {
	c, err := Emails{BaseURL: "https://r.example"}.RenderEmail(models.EmailMessage{
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
