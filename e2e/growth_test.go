//go:build e2e

package e2e

import (
	"bytes"
	"image"
	"image/color"
	_ "image/png"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

// TestTheReferrersGrowthKit walks Maria's dashboard on the demo: the QR code and share
// links carry her link, the chart has the days the demo clicked, the credits add up, a
// rejected friend is grey with the reason written to her, and a link preview is no click.
func TestTheReferrersGrowthKit(t *testing.T) {
	s := startSite(t)
	b := newBrowser(t, s)
	b.signIn("maria@example.com")
	link := value(b, chromedp.Value(chromedp.CSS("#invite-link")))

	// The QR code is an inline <svg id="invite-qr"> that a QR reader reads as the link.
	if tag := value(b, chromedp.Evaluate[string](`document.getElementById("invite-qr").tagName`)); tag != "svg" {
		t.Fatalf("#invite-qr is a <%s>, want the <svg> itself", tag)
	}
	b.do(chromedp.EmulateViewport(1280, 900, chromedp.EmulateScale(3)))
	png := value(b, chromedp.Screenshot(chromedp.CSS("#invite-qr")))
	b.do(chromedp.EmulateViewport(1280, 900))
	if got := decodeQR(t, png); got != link {
		t.Errorf("the QR code reads %q, want the invite link %q", got, link)
	}
	download := value(b, chromedp.Evaluate[string](`document.getElementById("invite-qr-download").href`))
	anonymous := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := anonymous.Get(download) // the file is the referrer's own: sign in first
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("the QR download answers %d to an anonymous visitor", res.StatusCode)
	}

	// Each share link opens its service with the link as an escaped query value.
	shares := value(b, chromedp.Evaluate[map[string]string](
		`Object.fromEntries([...document.querySelectorAll("[data-share]")].map(a => [a.dataset.share, a.getAttribute("href")]))`))
	for _, service := range []string{"email", "linkedin", "x", "whatsapp", "sms"} {
		if href := shares[service]; !strings.Contains(href, url.QueryEscape(link)) {
			t.Errorf("%s share link %q does not carry %q", service, href, url.QueryEscape(link))
		}
	}
	// Editing the message changes the links that carry it.
	b.do(chromedp.SendKeys(chromedp.CSS("#share-message"), " See you there!"))
	if x := value(b, chromedp.Evaluate[string](`document.querySelector("[data-share=x]").href`)); !strings.Contains(x, "See%20you%20there") {
		t.Errorf("the X link does not follow the edited message: %q", x)
	}

	// The chart has a bar for every day the demo clicked, and the table beside it the same.
	var days []string
	rows, err := s.DB.Store.DB().Query(`SELECT c.day FROM invitation_clicks c JOIN invitations i ON i.id = c.invitation_id
		JOIN users u ON u.id = i.referrer_id WHERE u.email = 'maria@example.com' ORDER BY c.day`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var d string
		rows.Scan(&d)
		days = append(days, d)
	}
	rows.Close()
	bars := value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#activity-chart [data-series=clicks] rect")].map(r => r.dataset.day)`))
	tableDays := value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#activity-table tbody tr[data-day]")].map(r => r.dataset.day)`))
	if len(days) < 10 {
		t.Fatalf("the demo clicked on %d days only", len(days))
	}
	for _, d := range days {
		if !slices.Contains(bars, d) || !slices.Contains(tableDays, d) {
			t.Errorf("day %s of the demo's clicks: in the chart %v, in the table %v", d, slices.Contains(bars, d), slices.Contains(tableDays, d))
		}
	}

	// The credits add up: in review + approved + paid = credits earned.
	parts := value(b, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#program-credits [data-part]")].map(p => p.dataset.cents)`))
	total := value(b, chromedp.Evaluate[string](`document.querySelector("#program-credits .pipeline-total").dataset.cents`))
	sum := 0
	for _, p := range parts {
		n, _ := strconv.Atoi(p)
		sum += n
	}
	if len(parts) != 3 || strconv.Itoa(sum) != total || total == "0" {
		t.Errorf("credit parts %v add up to %d, the headline says %s", parts, sum, total)
	}

	// Omar's credit was rejected: his bar is grey and the reason speaks to Maria.
	omar := `[...document.querySelectorAll("[data-referral-id]")].find(r => r.textContent.includes("Omar Haddad"))`
	if got := value(b, chromedp.Evaluate[string](omar+`.querySelector(".next-step").innerText`)); !strings.Contains(got, "your own client account") {
		t.Errorf("Omar's row says %q, not the reason written to the referrer", got)
	}
	// The bar's filled part, sampled from the screen: grey for Omar, green for Nina.
	barColor := func(name string) color.RGBA {
		png := value(b, chromedp.Screenshot(chromedp.JSPath(`[...document.querySelectorAll("[data-referral-id]")].find(r => r.textContent.includes("`+name+`")).querySelector("progress")`)))
		img, _, err := image.Decode(bytes.NewReader(png))
		if err != nil {
			t.Fatal(err)
		}
		r, g, bl, _ := img.At(img.Bounds().Dx()/4, img.Bounds().Dy()/2).RGBA()
		return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}
	}
	if grey, green := barColor("Omar Haddad"), barColor("Nina Berg"); grey != (color.RGBA{0x9a, 0xa3, 0xad, 255}) || green == grey {
		t.Errorf("Omar's bar is %v (Nina's %v), want grey #9aa3ad", grey, green)
	}
	b.do(chromedp.Click(chromedp.JSPath(omar + `.querySelector("details summary")`)))
	if got := value(b, chromedp.Evaluate[string](omar+`.querySelector("details").innerText`)); !strings.Contains(got, "Credit not approved") {
		t.Errorf("Omar's timeline says %q", got)
	}
	b.checkA11y("/dashboard (growth kit)")
	b.shoot("dashboard-growth-kit")

	// A link preview is not a click; a person's visit is.
	clicks := func() int {
		b.open("/dashboard")
		n, _ := strconv.Atoi(value(b, chromedp.Evaluate[string](`document.querySelector("[data-clicks]").dataset.clicks`)))
		return n
	}
	before := clicks()
	visit := func(ua string) {
		req, _ := http.NewRequest(http.MethodGet, link, nil)
		req.Header.Set("User-Agent", ua)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	visit("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")
	if got := clicks(); got != before {
		t.Errorf("a Slack link preview was counted: %d clicks, were %d", got, before)
	}
	visit("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36")
	if got := clicks(); got != before+1 {
		t.Errorf("a person's visit made %d clicks, want %d", got, before+1)
	}

	b.visit("/transactions", "transactions-pipeline")
	if got := b.text("#on-its-way"); !strings.Contains(got, "on its way, by") {
		t.Errorf("transactions do not say when the approved credit comes: %q", got)
	}
}

// decodeQR reads the QR code in a PNG.
func decodeQR(t *testing.T, png []byte) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(png))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("no QR code could be read: %v", err)
	}
	return res.GetText()
}
