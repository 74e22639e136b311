package views

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"referrals/models"
)

func TestFriendStatusLabels(t *testing.T) {
	due := time.Date(2019, 4, 5, 0, 0, 0, 0, time.UTC) // a calendar day, as models.DueDate gives it
	for _, tc := range []struct {
		row  models.FriendRow
		want string
	}{
		{models.FriendRow{Stage: models.StageRegistered}, "Registered"},
		{models.FriendRow{Stage: models.StageEarning}, "Earning"},
		{models.FriendRow{Stage: models.StageQualified}, "Qualified - pending review"},
		{models.FriendRow{Stage: models.StageApproved, BatchMonth: "2019-03", PayBy: &due}, "Approved - paid by Apr 5, 2019"},
		{models.FriendRow{Stage: models.StageApproved}, "Approved"},
		{models.FriendRow{Stage: models.StagePaid}, "Paid"},
		{models.FriendRow{Stage: models.StageRejected, RejectReason: "Self-referral"}, "Rejected"},
		{models.FriendRow{Stage: models.StageExpired}, "Expired"},
	} {
		if got := FriendStatusLabel(tc.row); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.row.Stage, got, tc.want)
		}
	}
}

func TestShareMailtoIsPrefilledAndEncodedForMailClients(t *testing.T) {
	p := models.Program{PerkMonths: 1}
	link := "https://referrals.example.com/r/2GHMM056W9"
	href := ShareMailto(p, link, "Maria Santos")
	if !strings.HasPrefix(href, "mailto:?subject=") || strings.Contains(href, "+") || strings.Contains(href, " ") {
		t.Fatalf("href %q", href)
	}
	q, err := url.ParseQuery(strings.TrimPrefix(href, "mailto:?"))
	if err != nil {
		t.Fatal(err)
	}
	if q.Get("subject") != "Join me on the marketplace: 1 month of Freelancer Plus free" {
		t.Errorf("subject %q", q.Get("subject"))
	}
	if body := q.Get("body"); !strings.Contains(body, "\n\n"+link+"\n\n") || !strings.HasSuffix(body, "Maria") {
		t.Errorf("body %q", body)
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
