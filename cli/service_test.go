package cli

import (
	"bufio"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// parseUnit reads a systemd unit file into section -> key -> values,
// refusing lines that are neither comments, sections nor key=value.
func parseUnit(t *testing.T, text string) map[string]map[string][]string {
	t.Helper()
	out := map[string]map[string][]string{}
	section := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			out[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" || strings.TrimSpace(k) == "" {
				t.Fatalf("line %d is not key=value in a section: %q", n, line)
			}
			out[section][strings.TrimSpace(k)] = append(out[section][strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	return out
}

func TestSystemdUnitsParse(t *testing.T) {
	sock := parseUnit(t, systemdSocket())
	for k, want := range map[string]string{"ListenStream": "%t/slices-agent/agent.sock", "SocketMode": "0600", "DirectoryMode": "0700"} {
		if got := sock["Socket"][k]; len(got) != 1 || got[0] != want {
			t.Errorf("socket unit %s = %q, want %q", k, got, want)
		}
	}
	if got := sock["Install"]["WantedBy"]; len(got) != 1 || got[0] != "sockets.target" {
		t.Errorf("socket unit WantedBy = %q", got)
	}
	svc := parseUnit(t, systemdService([]string{"/opt/slices agent/bin/slices-agent", "-D", "--portal", "http://h/%x"}))
	want := `"/opt/slices agent/bin/slices-agent" -D --portal http://h/%%x`
	if got := svc["Service"]["ExecStart"]; len(got) != 1 || got[0] != want {
		t.Errorf("ExecStart = %q, want %q", got, want)
	}
	if got := svc["Unit"]["Requires"]; len(got) != 1 || got[0] != SystemdSocketUnit {
		t.Errorf("Requires = %q", got)
	}
}

// TestSystemdAnalyzeVerify lets systemd itself check the units when it is installed.
func TestSystemdAnalyzeVerify(t *testing.T) {
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed; TestSystemdUnitsParse checks the syntax")
	}
	dir := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{SystemdSocketUnit: systemdSocket(), SystemdServiceUnit: systemdService([]string{exe, "-D"})}
	var paths []string
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	run := t.TempDir()
	cmd := exec.Command(sa, append([]string{"verify", "--user"}, paths...)...)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+run)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func TestLaunchdPlistIsXML(t *testing.T) {
	p := launchdPlist([]string{"/Applications/Slices & Co/slices-agent", "-D"})
	d := xml.NewDecoder(strings.NewReader(p))
	d.Strict = true
	var strs []string
	inString := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("plist is not well-formed XML: %v\n%s", err, p)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			inString = v.Name.Local == "string"
		case xml.CharData:
			if inString {
				strs = append(strs, string(v))
			}
		case xml.EndElement:
			inString = false
		}
	}
	want := []string{LaunchdLabel, "/Applications/Slices & Co/slices-agent", "-D", "Background"}
	if strings.Join(strs, "|") != strings.Join(want, "|") {
		t.Errorf("plist strings %q, want %q", strs, want)
	}
}
