package views

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"referrals/models"
)

// Words and tones the admin pages use for the program's states, so every page says the
// same thing the same way.

// PayoutStatusLabel names a payout status for people.
func PayoutStatusLabel(s models.PayoutStatus) string {
	switch s {
	case models.PayoutPendingReview:
		return "Pending review"
	case models.PayoutApproved:
		return "Approved"
	case models.PayoutRejected:
		return "Rejected"
	case models.PayoutPaid:
		return "Paid"
	}
	return string(s)
}

// PayoutStatusTone is the badge tone of a payout status.
func PayoutStatusTone(s models.PayoutStatus) string {
	switch s {
	case models.PayoutPendingReview:
		return "warn"
	case models.PayoutApproved:
		return "info"
	case models.PayoutRejected:
		return "bad"
	case models.PayoutPaid:
		return "ok"
	}
	return ""
}

// FlagLabel names a fraud flag (R12) in a few plain words.
func FlagLabel(flag string) string {
	switch flag {
	case models.FlagReferrerIsClient:
		return "Referrer was the client"
	case models.FlagSimilarEmail:
		return "Similar email"
	case models.FlagSameIP:
		return "Same IP address"
	case models.FlagSingleClient:
		return "One client"
	case models.FlagFast:
		return "Qualified fast"
	case models.FlagBelowThreshold:
		return "Below threshold"
	}
	return flag
}

// FlagExplanation says what a fraud flag means and why it matters, in a sentence.
func FlagExplanation(flag string) string {
	switch flag {
	case models.FlagReferrerIsClient:
		return "At least one counted earning was paid by the referrer's own client account: the referrer may have paid the friend to qualify."
	case models.FlagSimilarEmail:
		return "The friend's email is the referrer's with a +tag added (or, at Gmail, dots added or moved): probably the same person's mailbox."
	case models.FlagSameIP:
		return "The friend signed up from an IP address the referrer has used: they may be the same person, or share a network."
	case models.FlagSingleClient:
		return "90% or more of the counted amount came from one client."
	case models.FlagFast:
		return "The friend reached the threshold within 48 hours of signing up."
	case models.FlagBelowThreshold:
		return "Refunds took the friend's counted earnings back below the threshold after the payout was created."
	}
	return "An unrecognised flag."
}

// FlagTone colours a flag by its severity (models.FlagsBySeverity): the two most severe
// red, the next two amber, the last two blue.
func FlagTone(flag string) string {
	switch models.FlagSeverity(flag) {
	case 0, 1:
		return "bad"
	case 2, 3:
		return "warn"
	}
	return "info"
}

// countLabel says how many items a list holds: "1,234 payouts", or "10,000+ payouts"
// when it was counted only that far.
func countLabel(n int64, capped bool, one, many string) string {
	if capped {
		return Int64(n) + "+ " + many
	}
	return Plural(n, one, many)
}

// ReferralStatusLabel names a referral's shown status (R9) for people.
func ReferralStatusLabel(s models.ReferralStatus) string {
	switch s {
	case models.ReferralRegistered:
		return "Registered"
	case models.ReferralEarning:
		return "Earning"
	case models.ReferralQualified:
		return "Qualified"
	case models.ReferralExpired:
		return "Expired"
	}
	return string(s)
}

// ReferralStatusTone is the badge tone of a referral's shown status.
func ReferralStatusTone(s models.ReferralStatus) string {
	switch s {
	case models.ReferralEarning:
		return "info"
	case models.ReferralQualified:
		return "ok"
	case models.ReferralExpired:
		return "bad"
	}
	return ""
}

// EmailStatusTone is the badge tone of an email's delivery status.
func EmailStatusTone(s models.EmailStatus) string {
	switch s {
	case models.EmailQueued:
		return "info"
	case models.EmailSent:
		return "ok"
	case models.EmailFailed:
		return "bad"
	case models.EmailCancelled:
		return "warn"
	}
	return ""
}

// EmailKindLabel names an email kind (R13) for people.
func EmailKindLabel(k models.EmailKind) string {
	switch k {
	case models.EmailInvitation:
		return "Invitation"
	case models.EmailReminder:
		return "Reminder"
	case models.EmailFriendJoined:
		return "Friend joined"
	case models.EmailFriendQualified:
		return "Friend qualified"
	case models.EmailCreditApproved:
		return "Credit approved"
	case models.EmailCreditRejected:
		return "Credit rejected"
	case models.EmailCreditPaid:
		return "Credit paid"
	case models.EmailSignInLink:
		return "Sign-in link"
	}
	return string(k)
}

// ProgramStatusTone is the badge tone of a program's status.
func ProgramStatusTone(s models.ProgramStatus) string {
	switch s {
	case models.ProgramActive:
		return "ok"
	case models.ProgramEnded:
		return "bad"
	}
	return ""
}

// Capitalize writes s with a capital first letter: "active" -> "Active".
func Capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// MonthName writes a batch month for people: "2019-03" -> "March 2019".
func MonthName(month string) string {
	m, err := models.ParseBatchMonth(month)
	if err != nil {
		return month
	}
	return m.Format("January 2006")
}

// Day writes a calendar day (a date with no time of day, such as a due date): "Apr 5, 2019".
func Day(d time.Time) string { return d.Format("Jan 2, 2006") }

// Int64 formats a whole number with thousands separators: 1234567 -> "1,234,567".
func Int64(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if n < 0 {
		sign, s = "-", s[1:]
	}
	return sign + groupThousands(s)
}

// DecisionSummary says what a bulk decision did, for the flash: "3 approved, 1 already
// decided" (verb is "approved" or "rejected").
func DecisionSummary(verb string, outcomes []models.DecisionOutcome) string {
	var done, decided, missing int64
	for _, o := range outcomes {
		switch {
		case o.Err == nil:
			done++
		case errors.Is(o.Err, models.ErrAlreadyDecided):
			decided++
		default:
			missing++
		}
	}
	parts := []string{fmt.Sprintf("%d %s", done, verb)}
	if decided > 0 {
		parts = append(parts, fmt.Sprintf("%d already decided", decided))
	}
	if missing > 0 {
		parts = append(parts, fmt.Sprintf("%d not found", missing))
	}
	return strings.Join(parts, ", ")
}

// AuditDetail is one fact of an audit event's details.
type AuditDetail struct {
	Key   string
	Value string
}

// AuditDetails unpacks an audit event's details (a JSON object) into facts sorted by
// name, with amounts in cents shown as money. Details that are not an object are shown
// whole.
func AuditDetails(details string) []AuditDetail {
	if details == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(details), &m); err != nil {
		return []AuditDetail{{Key: "details", Value: details}}
	}
	out := make([]AuditDetail, 0, len(m))
	for k, v := range m {
		out = append(out, AuditDetail{Key: strings.ReplaceAll(strings.TrimSuffix(k, "_cents"), "_", " "), Value: auditValue(k, v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// auditValue writes one detail's value; cents become money, changes become from -> to.
func auditValue(key string, v any) string {
	switch v := v.(type) {
	case map[string]any:
		if from, ok := v["from"]; ok {
			return auditValue(key, from) + " → " + auditValue(key, v["to"])
		}
	case float64:
		if strings.HasSuffix(key, "_cents") {
			return Money(int64(v))
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case string:
		return v
	case nil:
		return "none"
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = auditValue(key, e)
		}
		return strings.Join(parts, ", ")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// AuditTargetHref links an audit event's target to its page, or "" when it has none.
func AuditTargetHref(action, target string) string {
	kind, id, ok := strings.Cut(target, ":")
	switch {
	case ok && kind == "payout":
		return "/admin/payouts/" + url.PathEscape(id)
	case ok && kind == "batch":
		return "/admin/batches/" + url.PathEscape(id)
	case strings.HasPrefix(action, "program.") && target != "":
		return "/admin/programs/" + url.PathEscape(target)
	}
	return ""
}

// pagerOf links the pages of a list at path, keeping the filters in query.
func pagerOf[T any](path string, query url.Values, p models.Page[T]) Pager {
	return Pager{Path: path, Query: query, Page: p.Paging.Page, PerPage: p.Paging.PerPage, Total: p.Total, Capped: p.Capped, More: p.More}
}

// listPagerOf is pagerOf for the lists that stop at models.MaxListPage.
func listPagerOf[T any](path string, query url.Values, p models.Page[T]) Pager {
	pg := pagerOf(path, query, p)
	pg.Last = models.MaxListPage
	return pg
}

// Tab is one filter of a list, with how many items it holds (-1: not counted).
type Tab struct {
	Href    string
	Label   string
	Count   int64
	Capped  bool // Count is a lower bound: "1,000+"
	Current bool
}

// searchClearHref is the list at action with its other filters but no search.
func searchClearHref(action string, keep url.Values) string {
	q := url.Values{}
	for _, p := range params(keep) {
		q.Add(p.Name, p.Value)
	}
	if len(q) == 0 {
		return action
	}
	return action + "?" + q.Encode()
}

// param is one query parameter.
type param struct{ Name, Value string }

// params lists the non-empty parameters of q in name order.
func params(q url.Values) []param {
	var out []param
	for _, k := range sortedKeys(q) {
		for _, v := range q[k] {
			if v != "" {
				out = append(out, param{k, v})
			}
		}
	}
	return out
}

func sortedKeys(q url.Values) []string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// AuditActionLabel names an audited action for people: "payout.approve" -> "Approved".
func AuditActionLabel(action string) string {
	switch action {
	case "payout.approve":
		return "Approved"
	case "payout.reject":
		return "Rejected"
	case "payout.pay":
		return "Paid"
	case "batch.pay":
		return "Batch paid"
	case "program.create":
		return "Program created"
	case "program.update":
		return "Program edited"
	case "program.invite":
		return "Invitations sent"
	case "program.remind":
		return "Reminders sent"
	}
	return action
}

// WebhookEndpointTone is the badge tone of an endpoint's status.
func WebhookEndpointTone(s models.WebhookEndpointStatus) string {
	if s == models.WebhookActive {
		return "ok"
	}
	return "bad"
}

// WebhookDeliveryTone is the badge tone of a delivery's status.
func WebhookDeliveryTone(s models.WebhookDeliveryStatus) string {
	switch s {
	case models.WebhookDelivered:
		return "ok"
	case models.WebhookFailed:
		return "bad"
	}
	return "info"
}

// WebhookRetryLabel is the retry button of a delivery: what it does in its status.
func WebhookRetryLabel(s models.WebhookDeliveryStatus) string {
	switch s {
	case models.WebhookPending:
		return "Retry now"
	case models.WebhookDelivered:
		return "Send again"
	}
	return "Retry"
}

// WebhookEventList names an endpoint's events: "All events" when it has every type.
func WebhookEventList(events []models.WebhookEventType) string {
	if len(events) == len(models.WebhookEventTypes()) {
		return "All events"
	}
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = string(e)
	}
	return strings.Join(names, ", ")
}

// WebhookEventDescription says when an event is sent.
func WebhookEventDescription(t models.WebhookEventType) string {
	switch t {
	case models.EventReferralRegistered:
		return "a friend signed up through an invite link (grant Freelancer Plus)"
	case models.EventReferralQualified:
		return "a friend reached the threshold; the credit awaits review"
	case models.EventPayoutApproved:
		return "a credit was approved"
	case models.EventPayoutRejected:
		return "a credit was rejected, with the reason"
	case models.EventPayoutPaid:
		return "a credit was paid (credit the referrer's account)"
	}
	return ""
}

// adminZone is the zone pages that span programs show times in (the default program's).
func adminZone() *time.Location { return models.Program{TimeZone: models.DefaultTimeZone}.Location() }

// programNames lists programs' names.
func programNames(ps []models.ProgramChoice) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Name
	}
	return out
}

// barWidth is a funnel bar's width out of 100: part as a share of whole.
func barWidth(part, whole int64) string {
	pct := int64(0)
	if whole > 0 {
		pct = part * 100 / whole
	}
	if part > 0 {
		pct = max(pct, 1)
	}
	return strconv.FormatInt(pct, 10)
}

// TimelineTitle is what a referral's timeline says of an event. An email is named by its
// kind: its subject is written only when it is sent, so a queued one has none yet.
func TimelineTitle(e models.TimelineEvent) string {
	if e.Email != nil {
		return "Email: " + EmailKindLabel(e.Email.Kind)
	}
	return e.Title
}
