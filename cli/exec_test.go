package cli

import (
	"errors"
	"os/exec"
	"slices"
	"testing"
)

func TestEnvSuffix(t *testing.T) {
	for in, want := range map[string]string{
		"ilabt-dev": "ILABT_DEV", "gpu.cluster 2": "GPU_CLUSTER_2",
		"proj_account.ilabt.imec.be_abc": "PROJ_ACCOUNT_ILABT_IMEC_BE_ABC", "Été": "_T_",
	} {
		if got := envSuffix(in); got != want {
			t.Errorf("envSuffix(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWithoutSlicesVars(t *testing.T) {
	in := []string{"HOME=/h", "SLICES_TOKEN=old", "SLICES_PROJECT_TOKEN_X=old", "SLICES_PROJECT_ID=p",
		"SLICES_PROJECT_TOKEN=t", "SLICES_AGENT_SOCK=/s", "SLICES_PORTAL_URL=http://x", "SLICES_TOKENS=keep"}
	got := withoutSlicesVars(in)
	want := []string{"HOME=/h", "SLICES_PORTAL_URL=http://x", "SLICES_TOKENS=keep"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if in[1] != "SLICES_TOKEN=old" {
		t.Error("the input was modified")
	}
}

func TestChildStatus(t *testing.T) {
	tests := []struct {
		script string
		want   int
	}{
		{"exit 0", 0}, {"exit 3", 3}, {"exit 255", 255}, {"kill -TERM $$", 143}, {"kill -INT $$", 130}, {"kill -KILL $$", 137},
	}
	for _, tc := range tests {
		err := childStatus(exec.Command("/bin/sh", "-c", tc.script).Run())
		got := 0
		var es *exitStatus
		if errors.As(err, &es) {
			got = es.code
		} else if err != nil {
			t.Fatalf("%s: %v", tc.script, err)
		}
		if got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.script, got, tc.want)
		}
	}
}
