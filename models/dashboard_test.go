package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"referrals/models"
	"referrals/models/modelstest"
)

func TestReferralStatusFor(t *testing.T) {
	p := models.Program{Deadline: time.Date(2019, 4, 16, 6, 59, 59, 0, time.UTC)}
	before, after := p.Deadline.Add(-time.Hour), p.Deadline.Add(time.Second)
	registered := models.Referral{Status: models.ReferralRegistered}
	earning := models.Referral{Status: models.ReferralEarning, CountedCents: 31000}
	refunded := models.Referral{Status: models.ReferralEarning, CountedCents: 0}
	qualified := models.Referral{Status: models.ReferralQualified, CountedCents: 50000}
	payout := func(s models.PayoutStatus) *models.Payout { return &models.Payout{Status: s} }
	for _, tc := range []struct {
		name   string
		r      models.Referral
		payout *models.Payout
		now    time.Time
		want   models.FriendStage
	}{
		{"just signed up", registered, nil, before, models.StageRegistered},
		{"earning", earning, nil, before, models.StageEarning},
		{"earned then refunded to zero is still earning", refunded, nil, before, models.StageEarning},
		{"counted earnings without the status yet", models.Referral{Status: models.ReferralRegistered, CountedCents: 100}, nil, before, models.StageEarning},
		{"qualified, credit in review", qualified, payout(models.PayoutPendingReview), before, models.StageQualified},
		{"qualified without a payout row yet", qualified, nil, before, models.StageQualified},
		{"approved", qualified, payout(models.PayoutApproved), before, models.StageApproved},
		{"paid", qualified, payout(models.PayoutPaid), before, models.StagePaid},
		{"rejected", qualified, payout(models.PayoutRejected), before, models.StageRejected},
		{"R9: registered, deadline passed", registered, nil, after, models.StageExpired},
		{"R9: earning, deadline passed", earning, nil, after, models.StageExpired},
		{"qualified in time stays qualified after the deadline", qualified, payout(models.PayoutPendingReview), after, models.StageQualified},
		{"paid after the deadline", qualified, payout(models.PayoutPaid), after, models.StagePaid},
		{"at the deadline itself, not yet expired", earning, nil, p.Deadline, models.StageEarning},
	} {
		if got := models.ReferralStatusFor(tc.r, tc.payout, p, tc.now); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func signUp(t *testing.T, db *modelstest.DB, name, email, code string) models.SignupResult {
	t.Helper()
	f := friend(email, code)
	f.Name = name
	res, err := db.Store.SignUpFriend(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestDashboardShowsAReferrersNumbersAndEachFriendsStage(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		p, maria, code := invited(t, db)
		for range 7 {
			if _, err := db.Store.CountClick(ctx, code); err != nil {
				t.Fatal(err)
			}
		}
		sam := signUp(t, db, "Sam Rivera", "sam@example.com", code)
		db.Clock.Advance(time.Hour)
		priya := signUp(t, db, "Priya Patel", "priya@example.com", code)
		db.Clock.Advance(time.Hour)
		lucas := signUp(t, db, "Lucas Moreau", "lucas@example.com", code)
		db.Clock.Advance(time.Hour)
		nina := signUp(t, db, "Nina Berg", "nina@example.com", code)
		db.Clock.Advance(time.Hour)
		omar := signUp(t, db, "Omar Haddad", "omar@example.com", code)

		db.FixtureCounted(t, priya.Referral.ID, 31000)
		db.FixtureCounted(t, lucas.Referral.ID, 52500)
		db.FixturePayout(t, *lucas.Referral, models.PayoutPendingReview)
		// Omar's credit is paid (paying the batch), then Nina's is approved for the next run.
		db.FixtureCounted(t, omar.Referral.ID, 60000)
		db.FixturePayout(t, *omar.Referral, models.PayoutPaid)
		db.FixtureCounted(t, nina.Referral.ID, 50000)
		db.FixturePayout(t, *nina.Referral, models.PayoutApproved)

		d, err := db.Store.Dashboard(ctx, maria.ID, models.DashboardQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Programs) != 1 || !d.Programs[0].ShowsLink() || d.Programs[0].Program.ID != p.ID || d.Friend != nil {
			t.Fatalf("dashboard %+v", d)
		}
		got := d.Programs[0].Stats
		// The credits' pipeline adds up: in review + approved + paid = earned.
		wantDue := time.Date(2019, 4, 5, 0, 0, 0, 0, time.UTC) // batch 2019-03, 5 business days after March
		if by := got.Credits.ApprovedPayBy; by == nil || !by.Equal(wantDue) {
			t.Errorf("approved credits paid by %v, want %v", by, wantDue)
		}
		if got.Credits.EarnedCents() != 30000 {
			t.Errorf("credits earned %d, want 30000", got.Credits.EarnedCents())
		}
		if c := got.Credits; c.InReviewCents != 10000 || c.ApprovedCents != 10000 || c.PaidCents != 10000 {
			t.Errorf("credits %+v", c)
		}
		got.Credits = models.CreditPipeline{}
		want := models.ReferrerStats{Clicks: 7, SignUps: 5, InProgress: 2, Qualified: 3}
		if got != want {
			t.Errorf("stats %+v\nwant  %+v", got, want)
		}
		friends := d.Programs[0].Friends
		if friends.Total != 5 || len(friends.Items) != 5 {
			t.Fatalf("friends %+v", friends)
		}
		var stages []string
		for _, f := range friends.Items {
			stages = append(stages, f.FriendName+": "+string(f.Stage))
		}
		// Newest sign-up first.
		wantStages := []string{"Omar Haddad: paid", "Nina Berg: approved", "Lucas Moreau: qualified", "Priya Patel: earning", "Sam Rivera: registered"}
		if strings.Join(stages, ", ") != strings.Join(wantStages, ", ") {
			t.Errorf("rows %v\nwant %v", stages, wantStages)
		}
		if f := friends.Items[3]; f.CountedCents != 31000 || f.ReferralID != priya.Referral.ID {
			t.Errorf("Priya's row %+v", f)
		}
		if f := friends.Items[1]; f.BatchMonth != "2019-03" {
			t.Errorf("Nina's approved credit has no batch month: %+v", f)
		}
		if f := friends.Items[4]; !f.RegisteredAt.Equal(sam.Referral.RegisteredAt) {
			t.Errorf("Sam joined %v, want %v", f.RegisteredAt, sam.Referral.RegisteredAt)
		}

		// After the deadline, those who did not qualify are expired (R9).
		db.Clock.Set(p.Deadline.Add(time.Minute))
		d, err = db.Store.Dashboard(ctx, maria.ID, models.DashboardQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if st := d.Programs[0].Stats; st.InProgress != 0 || st.Expired != 2 || d.Programs[0].ShowsLink() {
			t.Errorf("after the deadline: stats %+v, link shown %v", st, d.Programs[0].ShowsLink())
		}
		if s := d.Programs[0].Friends.Items[3].Stage; s != models.StageExpired {
			t.Errorf("Priya after the deadline: %q", s)
		}
	})
}

func TestRejectedCreditsCarryTheirReason(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, maria, code := invited(t, db)
		sam := signUp(t, db, "Sam Rivera", "sam@example.com", code)
		db.FixtureCounted(t, sam.Referral.ID, 50000)
		db.FixturePayout(t, *sam.Referral, models.PayoutRejected)
		d, err := db.Store.Dashboard(context.Background(), maria.ID, models.DashboardQuery{})
		if err != nil {
			t.Fatal(err)
		}
		f := d.Programs[0].Friends.Items[0]
		if f.Stage != models.StageRejected || f.RejectReason != modelstest.FixtureRejectReason {
			t.Fatalf("row %+v", f)
		}
		if st := d.Programs[0].Stats; st.Qualified != 1 || st.Credits.EarnedCents() != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

func TestDashboardPagesFriendsBeyondFifty(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		p, maria, code := invited(t, db)
		db.FixtureFriends(t, code, 53)
		ctx := context.Background()
		d, err := db.Store.Dashboard(ctx, maria.ID, models.DashboardQuery{})
		if err != nil {
			t.Fatal(err)
		}
		first := d.Programs[0].Friends
		if first.Total != 53 || len(first.Items) != 50 || first.Items[0].FriendName != "Friend 052" {
			t.Fatalf("first page: total %d, %d items, first %q", first.Total, len(first.Items), first.Items[0].FriendName)
		}
		d, err = db.Store.Dashboard(ctx, maria.ID, models.DashboardQuery{Program: p.Slug, Paging: models.Paging{Page: 2}})
		if err != nil {
			t.Fatal(err)
		}
		second := d.Programs[0].Friends
		if len(second.Items) != 3 || second.Items[2].FriendName != "Friend 000" || second.Paging.Page != 2 {
			t.Fatalf("second page: %d items, paging %+v", len(second.Items), second.Paging)
		}
		// Paging another program's list leaves this one on its first page.
		d, _ = db.Store.Dashboard(ctx, maria.ID, models.DashboardQuery{Program: "other", Paging: models.Paging{Page: 2}})
		if len(d.Programs[0].Friends.Items) != 50 {
			t.Error("a page asked for another program moved this one")
		}
	})
}

func TestDashboardShowsEachProgramTheReferrerWasInvitedTo(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		first, maria, code := invited(t, db)
		signUp(t, db, "Sam Rivera", "sam@example.com", code)
		second, err := db.Store.CreateProgram(ctx, models.CLIActor(), models.ProgramInput{
			Slug: "tech-support", Name: "Technical Support referrals", Deadline: "2019-03-31", Categories: []string{"Technical Support"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Store.InviteProgram(ctx, models.CLIActor(), second.Slug); err != nil {
			t.Fatal(err)
		}
		d, err := db.Store.Dashboard(ctx, maria.ID, models.DashboardQuery{})
		if err != nil {
			t.Fatal(err)
		}
		// Open programs first, the nearest deadline first.
		if len(d.Programs) != 2 || d.Programs[0].Program.ID != second.ID || d.Programs[1].Program.ID != first.ID {
			t.Fatalf("programs %+v", d.Programs)
		}
		if d.Programs[0].Stats.SignUps != 0 || d.Programs[1].Stats.SignUps != 1 || !d.Programs[0].ShowsLink() || !d.Programs[1].ShowsLink() {
			t.Errorf("stats %+v / %+v", d.Programs[0].Stats, d.Programs[1].Stats)
		}
		// An ended program the referrer was invited to stays on their dashboard, after the open ones.
		end := first.Input()
		end.Status = models.ProgramEnded
		if _, err := db.Store.UpdateProgram(ctx, models.CLIActor(), first.Slug, end); err != nil {
			t.Fatal(err)
		}
		d, err = db.Store.Dashboard(ctx, maria.ID, models.DashboardQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Programs) != 2 || d.Programs[1].Program.ID != first.ID || d.Programs[1].Open || d.Programs[1].Friends.Total != 1 {
			t.Fatalf("after the first program ended: %+v", d.Programs)
		}
	})
}

func TestAClosedProgramStaysOnlyOnTheDashboardsOfThoseInvited(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		p, maria, _ := invited(t, db)
		ben := user(t, db, models.NewUser{Email: "ben@example.com", Country: "US"})
		db.Clock.Set(p.Deadline.Add(time.Hour))
		if d, err := db.Store.Dashboard(ctx, ben.ID, models.DashboardQuery{}); err != nil || len(d.Programs) != 0 {
			t.Fatalf("Ben, not invited, after the deadline: %+v, %v", d.Programs, err)
		}
		if d, err := db.Store.Dashboard(ctx, maria.ID, models.DashboardQuery{}); err != nil || len(d.Programs) != 1 || d.Programs[0].Open {
			t.Fatalf("Maria, invited, after the deadline: %+v, %v", d.Programs, err)
		}
	})
}

func TestDashboardShowsOnlyTheFreelancersOwnFriends(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		_, maria, code := invited(t, db)
		rita := user(t, db, models.NewUser{Email: "rita@example.com", Name: "Rita Gomez", Country: "US", TopRated: true})
		if _, err := db.Store.InviteProgram(ctx, models.CLIActor(), "customer-service"); err != nil {
			t.Fatal(err)
		}
		signUp(t, db, "Sam Rivera", "sam@example.com", code)
		d, err := db.Store.Dashboard(ctx, rita.ID, models.DashboardQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if st := d.Programs[0].Stats; st.SignUps != 0 || len(d.Programs[0].Friends.Items) != 0 {
			t.Fatalf("Rita sees Maria's friends: %+v", d.Programs[0])
		}
		if d, _ := db.Store.Dashboard(ctx, maria.ID, models.DashboardQuery{}); d.Programs[0].Stats.SignUps != 1 {
			t.Fatal("Maria does not see her friend")
		}
	})
}

func TestAReferredFriendSeesTheirOwnProgressAndPerk(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		p, _, code := invited(t, db)
		sam := signUp(t, db, "Sam Rivera", "sam@example.com", code)
		db.FixtureCounted(t, sam.Referral.ID, 12550)
		d, err := db.Store.Dashboard(ctx, sam.Friend.ID, models.DashboardQuery{})
		if err != nil {
			t.Fatal(err)
		}
		f := d.Friend
		if f == nil || f.Program.ID != p.ID || f.ReferrerFirstName != "Maria" || f.CountedCents != 12550 || f.Reached || f.Expired {
			t.Fatalf("friend progress %+v", f)
		}
		if f.PlusUntil == nil || !f.PlusUntil.Equal(modelstest.Start.AddDate(0, 1, 0)) || !f.RegisteredAt.Equal(modelstest.Start) {
			t.Errorf("perk until %v, registered %v", f.PlusUntil, f.RegisteredAt)
		}
		// The friend is no referrer, and is not told what they cannot do: no program panel.
		if len(d.Programs) != 0 {
			t.Errorf("programs %+v", d.Programs)
		}
		db.FixtureCounted(t, sam.Referral.ID, 50000)
		if d, _ := db.Store.Dashboard(ctx, sam.Friend.ID, models.DashboardQuery{}); !d.Friend.Reached {
			t.Error("a friend at the threshold is not told they reached it")
		}
	})
}

func TestAFriendPastTheDeadlineIsToldTheirReferralExpired(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		p, _, code := invited(t, db)
		sam := signUp(t, db, "Sam Rivera", "sam@example.com", code)
		db.Clock.Set(p.Deadline.Add(time.Hour))
		d, err := db.Store.Dashboard(context.Background(), sam.Friend.ID, models.DashboardQuery{})
		if err != nil || d.Friend == nil || !d.Friend.Expired {
			t.Fatalf("%+v, %v", d.Friend, err)
		}
	})
}

func TestLedgerShowsRunningBalanceNewestFirstAndPages(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		ctx := context.Background()
		_, maria, code := invited(t, db)
		// Three of Maria's friends qualify; their credits are paid a day apart.
		var start time.Time
		for i, name := range []string{"Sam Rivera", "Priya Patel", "Lucas Moreau"} {
			f := signUp(t, db, name, strings.ToLower(strings.Fields(name)[0])+"@example.com", code)
			db.FixtureCounted(t, f.Referral.ID, 50000)
			if i == 0 {
				start = db.Clock.Now()
			}
			db.FixturePayout(t, *f.Referral, models.PayoutPaid)
			db.Clock.Advance(24 * time.Hour)
		}
		rita, ritaCode := db.FixtureReferrer(t, "rita@example.com", "Rita Gomez")
		other := signUp(t, db, "Someone Else", "else@example.com", ritaCode)
		db.FixtureCounted(t, other.Referral.ID, 50000)
		db.FixturePayout(t, *other.Referral, models.PayoutPaid)

		page, sum, err := db.Store.Ledger(ctx, maria.ID, models.Paging{PerPage: 2})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Entries != 3 || sum.BalanceCents != 30000 || sum.WithdrawableCents != 30000 {
			t.Fatalf("summary %+v", sum)
		}
		if len(page.Items) != 2 || page.Total != 3 {
			t.Fatalf("first page: %d items of %d", len(page.Items), page.Total)
		}
		if top := page.Items[0]; top.Description != "Referral bonus - Lucas Moreau" || top.BalanceCents != 30000 || page.Items[1].BalanceCents != 20000 {
			t.Errorf("newest entries %+v", page.Items)
		}
		page, _, err = db.Store.Ledger(ctx, maria.ID, models.Paging{Page: 2, PerPage: 2})
		if err != nil {
			t.Fatal(err)
		}
		last := page.Items[len(page.Items)-1]
		if len(page.Items) != 1 || last.Description != "Referral bonus - Sam Rivera" || last.AmountCents != 10000 ||
			last.FeeCents != 0 || last.BalanceCents != 10000 || last.TimeZone != models.DefaultTimeZone {
			t.Errorf("oldest entry %+v", last)
		}
		if !last.CreatedAt.Equal(start) {
			t.Errorf("created %v, want %v", last.CreatedAt, start)
		}

		// R15: Rita's ledger holds her entry only.
		page, sum, _ = db.Store.Ledger(ctx, rita.ID, models.Paging{})
		if sum.BalanceCents != 10000 || len(page.Items) != 1 || page.Items[0].Description != "Referral bonus - Someone Else" {
			t.Errorf("Rita's ledger: %+v, %d items", sum, len(page.Items))
		}
	})
}

func TestAnEmptyLedger(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		u := user(t, db, models.NewUser{Email: "ana@example.com", Country: "US"})
		page, sum, err := db.Store.Ledger(context.Background(), u.ID, models.Paging{})
		if err != nil || len(page.Items) != 0 || sum.BalanceCents != 0 || sum.Entries != 0 || sum.Credits.EarnedCents() != 0 {
			t.Fatalf("%+v %+v %v", page, sum, err)
		}
	})
}

func TestSignUpsFromOneAddressAreLimited(t *testing.T) {
	modelstest.EachDB(t, func(t *testing.T, db *modelstest.DB) {
		_, _, code := invited(t, db)
		db.FixtureSignupsFrom(t, "203.0.113.7", 20)
		if _, err := db.Store.SignUpFriend(context.Background(), friend("one-more@example.com", code)); err != models.ErrTooManySignups {
			t.Fatalf("21st sign-up from one address within the hour: %v", err)
		}
		if db.Count(t, "users", "email = 'one-more@example.com'") != 0 {
			t.Fatal("the refused sign-up created an account")
		}
		other := friend("elsewhere@example.com", code)
		other.IP = "198.51.100.1"
		if _, err := db.Store.SignUpFriend(context.Background(), other); err != nil {
			t.Fatalf("another address: %v", err)
		}
		db.Clock.Advance(time.Hour + time.Second)
		if _, err := db.Store.SignUpFriend(context.Background(), friend("later@example.com", code)); err != nil {
			t.Fatalf("an hour later: %v", err)
		}
	})
}
