package token_test

import (
	"encoding/base64"
	"fmt"

	"github.com/slices-ri/slices-agent/token"
)

func ExampleDecode() {
	seg := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	raw := seg(`{"alg":"ES256","typ":"JWT+slices.eu/proj","kid":"ec1"}`) + "." +
		seg(`{"sub":"proj_x","name":"ilabt-dev","exp":1795438800000,"proj_exp":null,"act":{"sub":"u","role":"lead"}}`) + ".c2ln"
	d, err := token.Decode(raw)
	if err != nil {
		fmt.Println(err)
		return
	}
	p, _ := d.Project()
	fmt.Println(d.IsProject(), d.ExpiresAt.UTC(), d.ExpInMillis, p.Name, p.ProjExp, p.Act.Role)
	// Output: true 2026-11-23 13:00:00 +0000 UTC true ilabt-dev <nil> lead
}
