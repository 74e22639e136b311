package models

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// FastQualification is how soon after sign-up qualifying looks too fast (R12's fast).
const FastQualification = 48 * time.Hour

// SingleClientShare is the share of the counted amount from one client, as a fraction
// (9/10), at or above which a payout is flagged single_client (R12).
const (
	singleClientNumerator   = 9
	singleClientDenominator = 10
)

// FlagFacts is what the fraud flags of a payout (R12) are computed from, at the moment
// its referral qualifies.
type FlagFacts struct {
	ThresholdCents int64
	RegisteredAt   time.Time
	QualifiedAt    time.Time
	// CountedCents is the referral's counted total now.
	CountedCents int64
	// Earnings are the referral's counted earnings, in any order.
	Earnings []Earning
	// ReferrerClientAccountID is the referrer's own account as a client ("" for none).
	ReferrerClientAccountID string
	// ReferrerIPs are the addresses the referrer signed up or signed in from, or was seen
	// at while signed in.
	ReferrerIPs    []string
	FriendSignupIP string
	ReferrerEmail  string
	FriendEmail    string
}

// Flags applies R12: the fraud flags a reviewer sees on a new payout, most severe first
// (FlagsBySeverity).
//
//   - referrer_is_client: a counted earning came from the referrer's own client account.
//   - similar_email: the friend's email is the referrer's, written another way that
//     reaches the same mailbox (SimilarEmail).
//   - same_ip: the friend signed up from an address the referrer used.
//   - single_client: 90% or more of the counted amount came from one client.
//   - fast: the friend qualified within 48 hours of signing up. "Qualified" is when the
//     earnings themselves, in the order they occurred, reached the threshold (or, if they
//     never did in that order, when the referral qualified here), so a late import
//     does not hide a fast friend.
//   - below_threshold: the total is below the threshold (a refund came in the same
//     batch as the crossing earning; see R8).
//
// Earnings are those counted up to and including the one that crossed the threshold:
// the flags describe the moment the payout is created.
func Flags(f FlagFacts) []string {
	flags := []string{}
	if f.ReferrerClientAccountID != "" && slices.ContainsFunc(f.Earnings, func(e Earning) bool {
		return e.ClientID == f.ReferrerClientAccountID
	}) {
		flags = append(flags, FlagReferrerIsClient)
	}
	if SimilarEmail(f.ReferrerEmail, f.FriendEmail) {
		flags = append(flags, FlagSimilarEmail)
	}
	if f.FriendSignupIP != "" && slices.Contains(f.ReferrerIPs, f.FriendSignupIP) {
		flags = append(flags, FlagSameIP)
	}
	if singleClient(f.Earnings) {
		flags = append(flags, FlagSingleClient)
	}
	qualified := f.QualifiedAt
	if reached, ok := ThresholdReachedAt(f.Earnings, f.ThresholdCents); ok && reached.Before(qualified) {
		qualified = reached
	}
	if f.CountedCents < f.ThresholdCents {
		flags = append(flags, FlagBelowThreshold)
	}
	if qualified.Sub(f.RegisteredAt) <= FastQualification {
		flags = append(flags, FlagFast)
	}
	return flags
}

// SimilarEmail reports whether two addresses reach one mailbox by the usual aliases:
// equal once a +tag is removed from the local part and, at Gmail (gmail.com and
// googlemail.com being one domain), the dots. Letter case never matters; two empty or
// malformed addresses are not similar.
func SimilarEmail(a, b string) bool {
	ca, okA := mailbox(a)
	cb, okB := mailbox(b)
	return okA && okB && ca == cb
}

// mailbox is the canonical form of an address for SimilarEmail.
func mailbox(email string) (string, bool) {
	local, domain, ok := strings.Cut(NormalizeEmail(email), "@")
	if !ok || domain == "" {
		return "", false
	}
	local, _, _ = strings.Cut(local, "+")
	if domain == "gmail.com" || domain == "googlemail.com" {
		local, domain = strings.ReplaceAll(local, ".", ""), "gmail.com"
	}
	if local == "" {
		return "", false
	}
	return local + "@" + domain, true
}

// singleClient reports whether one client's net amount is 90% or more of the positive
// total of earnings.
func singleClient(earnings []Earning) bool {
	var total int64
	byClient := map[string]int64{}
	for _, e := range earnings {
		total += e.AmountCents
		byClient[e.ClientID] += e.AmountCents
	}
	if total <= 0 {
		return false
	}
	for _, amount := range byClient {
		if amount*singleClientDenominator >= total*singleClientNumerator {
			return true
		}
	}
	return false
}

// ThresholdReachedAt is when the running total of earnings, taken in the order they
// occurred, first reached threshold; false if it never did.
func ThresholdReachedAt(earnings []Earning, threshold int64) (time.Time, bool) {
	sorted := slices.Clone(earnings)
	slices.SortStableFunc(sorted, func(a, b Earning) int { return a.OccurredAt.Compare(b.OccurredAt) })
	var total int64
	for _, e := range sorted {
		if total += e.AmountCents; total >= threshold {
			return e.OccurredAt, true
		}
	}
	return time.Time{}, false
}

// ValidFlag reports whether name is one of R12's flags.
func ValidFlag(name string) bool { return slices.Contains(FlagsBySeverity(), name) }

// setFlag returns flags with name present (on) or absent, and whether that changed them.
func setFlag(flags []string, name string, on bool) ([]string, bool) {
	if slices.Contains(flags, name) == on {
		return flags, false
	}
	out := slices.DeleteFunc(slices.Clone(flags), func(f string) bool { return f == name })
	if on {
		out = append(out, name)
	}
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(FlagSeverity(a), FlagSeverity(b)) })
	return out, true
}

// FlagsBySeverity lists the fraud flags most severe first: the order a payout's flags
// are kept and shown in, and the order the review queue sorts by risk.
func FlagsBySeverity() []string {
	return []string{FlagReferrerIsClient, FlagSimilarEmail, FlagSameIP, FlagSingleClient, FlagBelowThreshold, FlagFast}
}

// FlagSeverity is a flag's place in FlagsBySeverity (0 is the most severe); an unknown
// flag, like no flag, comes after every known one.
func FlagSeverity(name string) int {
	if i := slices.Index(FlagsBySeverity(), name); i >= 0 {
		return i
	}
	return len(FlagsBySeverity())
}
