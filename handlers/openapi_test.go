package handlers_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"referrals/handlers"
	"referrals/models"
	"referrals/models/modelstest"
)

// openAPIDoc is the part of the OpenAPI document the test reads.
type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Paths   map[string]map[string]struct {
		Responses map[string]json.RawMessage `json:"responses"`
	} `json:"paths"`
	Webhooks map[string]map[string]struct {
		RequestBody struct {
			Content map[string]struct {
				Schema struct {
					Ref string `json:"$ref"`
				} `json:"schema"`
			} `json:"content"`
		} `json:"requestBody"`
	} `json:"webhooks"`
	Components struct {
		Schemas map[string]schema `json:"schemas"`
	} `json:"components"`
}

type schema struct {
	Required   []string          `json:"required"`
	Properties map[string]schema `json:"properties"`
	Enum       []string          `json:"enum"`
	Ref        string            `json:"$ref"`
	Items      *schema           `json:"items"`
}

// TestTheOpenAPIDocumentDescribesTheRealHandlers fetches the served document and makes,
// for every status code it documents, a request that the real handlers answer with that
// code; and checks its webhooks section names every event with the fields the product
// sends.
func TestTheOpenAPIDocumentDescribesTheRealHandlers(t *testing.T) {
	db := modelstest.SQLite(t)
	a := newApp(t, db)
	a.referral(t)
	anon := a.browser(t)
	res := anon.get("/api/v1/openapi.json")
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json: %d %s", res.status, res.header.Get("Content-Type"))
	}
	var doc openAPIDoc
	if err := json.Unmarshal([]byte(res.body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}

	big := `{"events":[` + strings.Repeat(`{"id":"x"},`, 120000) + `{"id":"x"}]}`
	tooMany := make([]any, models.MaxEarningsBatch+1)
	for i := range tooMany {
		tooMany[i] = map[string]any{"email": "x@example.com"}
	}
	manyProfiles, _ := json.Marshal(map[string]any{"freelancers": tooMany})
	// Each documented answer, and the request that gets it.
	requests := map[string]func() response{
		"GET /api/v1/openapi.json 200": func() response { return anon.get("/api/v1/openapi.json") },
		"POST /api/v1/earnings 200": func() response {
			return a.signed(t, "/api/v1/earnings", eventsBody(t, samEarning("evt_1", 12345), map[string]any{"id": "evt_2"}))
		},
		"POST /api/v1/earnings 400": func() response { return a.signed(t, "/api/v1/earnings", []byte(`{"events":`)) },
		"POST /api/v1/earnings 401": func() response {
			return a.call(t, "/api/v1/earnings", eventsBody(t, samEarning("evt_3", 100)), "t=1,v1="+strings.Repeat("0", 64))
		},
		"POST /api/v1/earnings 413": func() response { return a.signed(t, "/api/v1/earnings", []byte(big)) },
		"POST /api/v1/freelancers 200": func() response {
			return a.signed(t, "/api/v1/freelancers", []byte(`{"freelancers":[{"email":"new@example.com","name":"New Person"},{"email":"not an email"}]}`))
		},
		"POST /api/v1/freelancers 400": func() response { return a.signed(t, "/api/v1/freelancers", manyProfiles) },
		"POST /api/v1/freelancers 401": func() response { return a.call(t, "/api/v1/freelancers", []byte(`{"freelancers":[]}`), "") },
		"POST /api/v1/freelancers 413": func() response { return a.signed(t, "/api/v1/freelancers", []byte(big)) },
	}
	replay := func(path string, body []byte) func() response {
		return func() response {
			sig := handlers.Sign(testWebhookSecret, a.Clock.Now(), body)
			if first := a.call(t, path, body, sig); first.status != http.StatusOK {
				t.Errorf("%s: the first delivery answered %d", path, first.status)
			}
			return a.call(t, path, body, sig)
		}
	}
	requests["POST /api/v1/earnings 409"] = replay("/api/v1/earnings", eventsBody(t, samEarning("evt_replayed", 100)))
	requests["POST /api/v1/freelancers 409"] = replay("/api/v1/freelancers", []byte(`{"freelancers":[{"email":"replayed@example.com"}]}`))

	var documented []string
	for path, methods := range doc.Paths {
		for method, op := range methods {
			for code := range op.Responses {
				documented = append(documented, strings.ToUpper(method)+" "+path+" "+code)
			}
		}
	}
	sort.Strings(documented)
	var tried []string
	for k := range requests {
		tried = append(tried, k)
	}
	sort.Strings(tried)
	if !slices.Equal(documented, tried) {
		t.Errorf("documented answers %v\nbut the test makes %v", documented, tried)
	}
	statusEnum := func(name string) []string { return doc.Components.Schemas[name].Properties["status"].Enum }
	for _, k := range documented {
		do, ok := requests[k]
		if !ok {
			continue
		}
		fields := strings.Fields(k)
		want := fields[2]
		got := do()
		if strings.HasPrefix(k, "GET /api/v1/openapi.json") {
			if got.status != http.StatusOK {
				t.Errorf("%s: %d", k, got.status)
			}
			continue
		}
		if strconv.Itoa(got.status) != want {
			t.Errorf("%s: the handler answered %d: %s", k, got.status, got.body)
			continue
		}
		if want != "200" {
			apiError(t, got)
			continue
		}
		var body struct{ Results []map[string]any }
		if err := json.Unmarshal([]byte(got.body), &body); err != nil || len(body.Results) != 2 {
			t.Errorf("%s: %s, want two results", k, got.body)
			continue
		}
		enum := statusEnum("EarningResult")
		if strings.Contains(k, "freelancers") {
			enum = statusEnum("ProfileResult")
		}
		for _, r := range body.Results {
			if s, _ := r["status"].(string); !slices.Contains(enum, s) {
				t.Errorf("%s: status %q is not one the document lists (%v)", k, s, enum)
			}
		}
	}

	// The webhooks: every event type, with the data fields the product sends.
	data := map[models.WebhookEventType]any{
		models.EventReferralRegistered: models.ReferralRegisteredData{},
		models.EventReferralQualified:  models.ReferralQualifiedData{},
		models.EventPayoutApproved:     models.PayoutApprovedData{},
		models.EventPayoutRejected:     models.PayoutRejectedData{},
		models.EventPayoutPaid:         models.PayoutPaidData{},
	}
	if len(doc.Webhooks) != len(models.WebhookEventTypes()) {
		t.Errorf("%d webhooks documented, want the %d event types", len(doc.Webhooks), len(models.WebhookEventTypes()))
	}
	for _, typ := range models.WebhookEventTypes() {
		hook, ok := doc.Webhooks[string(typ)]["post"]
		if !ok {
			t.Errorf("webhook %s is not documented", typ)
			continue
		}
		ref := hook.RequestBody.Content["application/json"].Schema.Ref
		body := doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
		var sent []string
		v := reflect.TypeOf(data[typ])
		for i := range v.NumField() {
			sent = append(sent, strings.Split(v.Field(i).Tag.Get("json"), ",")[0])
		}
		documentedData := body.Properties["data"].Required
		sort.Strings(sent)
		sort.Strings(documentedData)
		if !slices.Equal(sent, documentedData) || !slices.Equal(body.Required, []string{"type", "timestamp", "data"}) {
			t.Errorf("webhook %s documents %v, the product sends %v", typ, documentedData, sent)
		}
	}
}
