package views

import (
	"net/url"
	"strings"
	"time"

	"github.com/a-h/templ"
	lru "github.com/hashicorp/golang-lru/v2"

	"referrals/models"
)

// programTexts are the sentences and amounts of a program that its dashboard panel
// repeats (in the header, the stats, every friend's row and timeline), written once per
// program and kept: they depend on nothing else.
type programTexts struct {
	loc                                   *time.Location
	thresholdCents                        int64
	deadline, deadlineDay                 string // "Apr 15, 2019, 11:59 PM PDT", "Apr 15, 2019"
	threshold, reward                     string // "$500", "$100"
	thresholdMoney, thresholdDollars      string // "$500.00", "500.00"
	categories                            string // "Customer Service"
	terms                                 string
	help                                  templ.SafeURL
	qualifiedHint, noFriendsHint          string
	countsNote, inReviewNote, expiredNote string
	toGo                                  string // " to go by Apr 15, 2019"
	firstEarning, reached                 string // timeline labels
}

func newProgramTexts(p models.Program) *programTexts {
	loc := p.Location()
	t := &programTexts{
		loc: loc, thresholdCents: p.ThresholdCents, deadline: DateTime(p.Deadline, loc), deadlineDay: Date(p.Deadline, loc),
		threshold: WholeMoney(p.ThresholdCents), reward: WholeMoney(p.RewardCents),
		thresholdMoney: Money(p.ThresholdCents), thresholdDollars: Dollars(p.ThresholdCents),
		categories: ListWords(p.Categories), terms: ProgramTerms(p),
		help: templ.SafeURL(templ.URL("/help?program=" + url.QueryEscape(p.Slug))),
	}
	t.qualifiedHint = "reached " + t.threshold
	t.noFriendsHint = "Send your invite link to friends who are new to the marketplace. When one signs up, they appear here with their progress toward " + t.threshold + "."
	t.countsNote = "Counts: their " + t.categories + " earnings until the deadline."
	t.inReviewNote = "They reached " + t.threshold + ". Your " + t.reward + " credit is being reviewed."
	t.expiredNote = "The deadline (" + t.deadlineDay + ") passed before your friend earned " + t.threshold +
		" from " + t.categories + " projects, so this referral earns you no credit."
	t.toGo = " to go by " + t.deadlineDay
	t.firstEarning = "First " + t.categories + " earning"
	t.reached = "Reached " + t.threshold
	return t
}

// textsKey is everything programTexts are made of (the id and last change alone would
// do for one database, but a process may serve programs of several, in tests).
type textsKey struct {
	id, updated, threshold, reward, deadline int64
	perk                                     int
	slug, zone, categories                   string
}

// texts keeps the texts of the programs served lately (an LRU like the share kits':
// programs are few, and edits over a long uptime only push old entries out).
var texts, _ = lru.New[textsKey, *programTexts](1000) // fails only for a size below 1

// textsOf are p's texts, from the cache.
func textsOf(p models.Program) *programTexts {
	k := textsKey{id: p.ID, updated: p.UpdatedAt.UnixNano(), threshold: p.ThresholdCents, reward: p.RewardCents,
		deadline: p.Deadline.UnixNano(), perk: p.PerkMonths, slug: p.Slug, zone: p.TimeZone,
		categories: strings.Join(p.Categories, "\x00")} // no allocation for one category
	if t, ok := texts.Get(k); ok {
		return t
	}
	t := newProgramTexts(p)
	texts.Add(k, t)
	return t
}
