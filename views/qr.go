package views

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// QRCode is a QR code (made by github.com/boombuler/barcode) as SVG geometry: Size
// modules square, its dark modules as one path of unit squares joined in runs. It is
// drawn with a quiet zone of quietZone modules, as scanners need.
type QRCode struct {
	Size int
	Path string
}

const quietZone = 4

// NewQRCode encodes content (an invite link) with medium error correction, which still
// scans when a print is a little damaged or dirty.
func NewQRCode(content string) (QRCode, error) {
	code, err := qr.Encode(content, qr.M, qr.Auto)
	if err != nil {
		return QRCode{}, fmt.Errorf("QR code of %q: %w", content, err)
	}
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
			start := x
			for x < n && dark(x, y) {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	return QRCode{Size: n, Path: b.String()}, nil
}

// ViewBox is the SVG viewBox: the code and its quiet zone.
func (q QRCode) ViewBox() string {
	side := strconv.Itoa(q.Size + 2*quietZone)
	return "-" + strconv.Itoa(quietZone) + " -" + strconv.Itoa(quietZone) + " " + side + " " + side
}

// Document is the code as a standalone SVG file, 512 pixels square, for download.
func (q QRCode) Document() []byte {
	side := q.Size + 2*quietZone
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="512" height="512" viewBox="%s" shape-rendering="crispEdges">
<rect x="-%d" y="-%d" width="%d" height="%d" fill="#fff"/>
<path d="%s" fill="#000"/>
</svg>
`, q.ViewBox(), quietZone, quietZone, side, side, q.Path)
}
