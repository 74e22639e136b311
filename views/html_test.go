package views

import (
	"context"
	"html"
	"strings"
	"testing"
	"time"

	"github.com/a-h/templ"

	"referrals/models"
)

func renderString(t *testing.T, c templ.Component) string {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The friends' table writes its badges, progress bars and names with plain components;
// they must write what the templ components and expressions elsewhere write.
func TestPlainComponentsWriteWhatTheirTemplTwinsWrite(t *testing.T) {
	p := models.Program{ID: 7, Slug: "cs", TimeZone: "America/Los_Angeles", ThresholdCents: 50000, RewardCents: 10000,
		Categories: []string{"Customer Service"}, Deadline: time.Date(2019, 4, 16, 6, 59, 59, 0, time.UTC)}
	tx := textsOf(p)
	for _, s := range []string{"", "Zoë \"Z\" O'Neil <b> & co", "plain"} {
		if got, want := renderString(t, Text(s)), html.EscapeString(s); got != want {
			t.Errorf("Text(%q) = %q, want %q", s, got, want)
		}
	}
	for _, n := range []int64{0, -5, 1234567} {
		if got, want := renderString(t, Num(n)), Itoa(n); got != want {
			t.Errorf("Num(%d) = %q, want %q", n, got, want)
		}
	}
	for _, b := range []badge{{"", "Ended without a credit"}, {"ok", "Paid on Apr 3, 2019"}, {"bad", "<Not> credited"}} {
		if got, want := renderString(t, b), renderString(t, Badge(b.tone, b.label)); got != want {
			t.Errorf("badge %v: %q, want %q", b, got, want)
		}
	}
	for _, c := range []int64{0, 1, 99, 31000, 52500, 99999, 100000, 123456789, -2500} {
		for _, ended := range []bool{false, true} {
			if got, want := renderString(t, progressCell{c, tx, ended}), renderString(t, ReferralProgress(c, p.ThresholdCents, ended)); got != want {
				t.Errorf("progress of %d (ended %v): %q, want %q", c, ended, got, want)
			}
		}
	}
}
