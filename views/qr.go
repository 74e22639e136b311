package views

import (
	"context"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/a-h/templ"
	"github.com/boombuler/barcode/qr"
)

// QRCode is text drawn as an inline SVG QR code (error correction M, a four-module quiet
// zone), one path of dark modules, so it scales sharply and needs no image request.
// id and label go on the <svg> (label is what a screen reader announces). The encoder is
// github.com/boombuler/barcode, which github.com/pquerna/otp already brings in.
func QRCode(id, label, text string) templ.Component {
	return templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		size, path, err := qrPath(text)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, `<svg id="%s" class="qr" role="img" aria-label="%s" viewBox="0 0 %d %d" shape-rendering="crispEdges" xmlns="http://www.w3.org/2000/svg"><rect width="100%%" height="100%%" fill="#fff"></rect><path fill="#000" d="%s"></path></svg>`,
			html.EscapeString(id), html.EscapeString(label), size, size, path)
		return err
	})
}

// qrPath encodes text and returns the side of the square in modules (quiet zone
// included) and an SVG path of its dark modules, one subpath per horizontal run.
func qrPath(text string) (int, string, error) {
	code, err := qr.Encode(text, qr.M, qr.Auto)
	if err != nil {
		return 0, "", fmt.Errorf("QR code: %w", err)
	}
	const quiet = 4
	n := code.Bounds().Dx()
	dark := func(x, y int) bool {
		r, _, _, _ := code.At(x, y).RGBA()
		return r < 0x8000
	}
	var b strings.Builder
	for y := range n {
		for x := 0; x < n; {
			if !dark(x, y) {
				x++
				continue
			}
			run := 1
			for x+run < n && dark(x+run, y) {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+quiet, y+quiet, run, run)
			x += run
		}
	}
	return n + 2*quiet, b.String(), nil
}
