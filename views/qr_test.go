package views

import (
	"image"
	"image/color"
	"regexp"
	"strconv"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"
)

// decodeQR draws the code's path as pixels (8 per module, with its quiet zone) and reads
// it back with a QR decoder.
func decodeQR(t *testing.T, q QRCode) string {
	t.Helper()
	const scale = 8
	side := (q.Size + 2*quietZone) * scale
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	run := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-\d+z`)
	for _, m := range run.FindAllStringSubmatch(q.Path, -1) {
		x, _ := strconv.Atoi(m[1])
		y, _ := strconv.Atoi(m[2])
		w, _ := strconv.Atoi(m[3])
		for px := (x + quietZone) * scale; px < (x+w+quietZone)*scale; px++ {
			for py := (y + quietZone) * scale; py < (y+1+quietZone)*scale; py++ {
				img.Set(px, py, color.Black)
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decode the QR code: %v", err)
	}
	return res.GetText()
}
