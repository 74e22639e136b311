package views

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"referrals/models"
)

func TestEachFriendsNextStepSaysWhatHappensAndWhen(t *testing.T) {
	p := models.Program{TimeZone: "America/Los_Angeles", Deadline: time.Date(2019, 4, 16, 6, 59, 59, 0, time.UTC),
		ThresholdCents: 50000, RewardCents: 10000, Categories: []string{"Customer Service"}}
	due := time.Date(2019, 4, 5, 0, 0, 0, 0, time.UTC) // a calendar day, as models.DueDate gives it
	paid := time.Date(2019, 4, 3, 18, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		row   models.FriendRow
		want  string
		ended bool
	}{
		{models.FriendRow{Stage: models.StageRegistered}, "$500.00 to go by Apr 15, 2019", false},
		{models.FriendRow{Stage: models.StageEarning, CountedCents: 31000}, "$190.00 to go by Apr 15, 2019", false},
		{models.FriendRow{Stage: models.StageQualified}, "In review", false},
		{models.FriendRow{Stage: models.StageApproved, BatchMonth: "2019-03", PayBy: &due}, "Approved, paid by Apr 5, 2019", false},
		{models.FriendRow{Stage: models.StagePaid, PaidAt: &paid}, "Paid on Apr 3, 2019", false},
		{models.FriendRow{Stage: models.StageRejected, RejectReason: "Your friend's only client was you."}, "Not credited", true},
		{models.FriendRow{Stage: models.StageExpired}, "Ended without a credit", true},
	} {
		if got := FriendNextStep(tc.row, p); got.Status != tc.want || got.Ended != tc.ended {
			t.Errorf("%s: %+v, want %q (ended %v)", tc.row.Stage, got, tc.want, tc.ended)
		}
	}
	// A rejection shows the reason as staff wrote it to the referrer; an expiry says it in
	// the referrer's words too.
	if got := FriendNextStep(models.FriendRow{Stage: models.StageRejected, RejectReason: "Your friend's only client was you."}, p); got.Note != "Your friend's only client was you." {
		t.Errorf("rejection note %q", got.Note)
	}
	if got := FriendNextStep(models.FriendRow{Stage: models.StageExpired}, p); !strings.Contains(got.Note, "earns you no credit") {
		t.Errorf("expiry note %q", got.Note)
	}
}

func TestTheShareKitsLinksCarryTheEscapedLinkAndTheMessage(t *testing.T) {
	p := models.Program{PerkMonths: 1, TimeZone: "America/Los_Angeles", Deadline: time.Date(2019, 4, 16, 6, 59, 59, 0, time.UTC)}
	link := "https://referrals.example.com/r/2GHMM056W9"
	k, err := NewShareKit(p, link, "Maria Santos", "Gigworks")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(k.Message, "Gigworks") || !strings.Contains(k.Message, "1 month of Freelancer Plus") || !strings.Contains(k.Message, "Apr 15, 2019") {
		t.Errorf("message %q", k.Message)
	}
	prefixes := map[string]string{"email": "mailto:?", "linkedin": "https://www.linkedin.com/", "x": "https://x.com/", "whatsapp": "https://wa.me/", "sms": "sms:"}
	if len(k.Links) != len(prefixes) {
		t.Fatalf("%d links", len(k.Links))
	}
	for _, l := range k.Links {
		if !strings.HasPrefix(l.Href, prefixes[l.Service]) || !strings.Contains(l.Href, url.QueryEscape(link)) {
			t.Errorf("%s: %q does not carry the escaped link", l.Service, l.Href)
		}
		if l.Service != "linkedin" && !strings.Contains(l.Template, SharePlaceholder()) {
			t.Errorf("%s: template %q has no place for the message", l.Service, l.Template)
		}
	}
	mail := k.Links[0].Href
	if strings.Contains(mail, "+") {
		t.Errorf("mailto has + for spaces: %q", mail)
	}
	q, err := url.ParseQuery(strings.TrimPrefix(mail, "mailto:?"))
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("subject") != "Join me on Gigworks: 1 month of Freelancer Plus free" {
		t.Errorf("subject %q", q.Get("subject"))
	}
	if body := q.Get("body"); !strings.Contains(body, k.Message+"\n\n"+link+"\n\n") || !strings.HasSuffix(body, "Maria") {
		t.Errorf("body %q", body)
	}
}

func TestTheQRCodeDecodesToTheLink(t *testing.T) {
	link := "https://referrals.example.com/r/2GHMM056W9"
	q, err := NewQRCode(link)
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeQR(t, q); got != link {
		t.Fatalf("the QR code reads %q, want %q", got, link)
	}
}

func TestSignupWelcomeSaysWhatTheSignUpGave(t *testing.T) {
	p := models.Program{TimeZone: "America/Los_Angeles", Deadline: time.Date(2019, 4, 16, 6, 59, 59, 0, time.UTC)}
	plus := time.Date(2019, 4, 1, 17, 0, 0, 0, time.UTC)
	now := time.Date(2019, 3, 1, 17, 0, 0, 0, time.UTC)
	sam := models.User{Name: "Sam Rivera"}
	withPlus := sam
	withPlus.PlusUntil = &plus
	for _, tc := range []struct {
		name string
		res  models.SignupResult
		now  time.Time
		kind FlashKind
		want string
	}{
		{"referred", models.SignupResult{Friend: withPlus, Program: &p, Referral: &models.Referral{}}, now, FlashSuccess,
			"Welcome, Sam! Your account is ready. Your free Freelancer Plus membership runs until Apr 1, 2019."},
		{"plain", models.SignupResult{Friend: sam, Reason: models.NoInvite}, now, FlashSuccess, "Welcome, Sam! Your account is ready."},
		{"after the deadline", models.SignupResult{Friend: sam, Program: &p, Reason: models.ProgramNotOpen}, p.Deadline.Add(time.Hour), FlashInfo,
			"Welcome, Sam! Your account is ready. The referral program of the invite you used ended on Apr 15, 2019, so this sign-up is not a referral and does not include free Freelancer Plus."},
		{"ended early", models.SignupResult{Friend: sam, Program: &p, Reason: models.ProgramNotOpen}, now, FlashInfo,
			"Welcome, Sam! Your account is ready. The referral program of the invite you used has ended, so this sign-up is not a referral and does not include free Freelancer Plus."},
		{"referrer no longer eligible", models.SignupResult{Friend: sam, Program: &p, Reason: models.ReferrerIneligible}, now, FlashInfo,
			"Welcome, Sam! Your account is ready. The invite you used is no longer active, so this sign-up is not a referral and does not include free Freelancer Plus."},
	} {
		kind, msg := SignupWelcome(tc.res, tc.now)
		if kind != tc.kind || msg != tc.want {
			t.Errorf("%s: %s %q\nwant %s %q", tc.name, kind, msg, tc.kind, tc.want)
		}
	}
}
