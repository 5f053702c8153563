package devportal

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestReadURL(t *testing.T) {
	url, err := ReadURL(strings.NewReader("SLICES_PORTAL_URL=http://127.0.0.1:9\nmore\n"), time.Second)
	if err != nil || url != "http://127.0.0.1:9" {
		t.Errorf("good line: %q %v", url, err)
	}
	if _, err := ReadURL(strings.NewReader("listening somewhere\n"), time.Second); err == nil || !strings.Contains(err.Error(), "listening somewhere") {
		t.Errorf("another first line: %v", err)
	}
	if _, err := ReadURL(strings.NewReader(""), time.Second); err == nil || !strings.Contains(err.Error(), "exited") {
		t.Errorf("no output: %v", err)
	}
	r, w := io.Pipe()
	defer w.Close()
	if _, err := ReadURL(r, 50*time.Millisecond); err == nil || !strings.Contains(err.Error(), "within") {
		t.Errorf("silence: %v", err)
	}
}
