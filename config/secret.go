package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxSecret bounds a client secret file: secrets are short.
const maxSecret = 4 << 10

// ReadSecret reads a client secret from path: the whole file, without
// surrounding white space. The file must be a regular file that others cannot
// read or change (like ssh's keys), and must hold something.
func ReadSecret(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", &Error{Path: path, Err: errors.New("cannot read the client secret file: " + strings.TrimPrefix(err.Error(), "open "+path+": ")),
			Hint: "check --client-secret-file (or SLICES_CLIENT_SECRET_FILE, or client_secret_file in " + Path() + ")"}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", &Error{Path: path, Err: err}
	}
	switch mode := fi.Mode(); {
	case !mode.IsRegular():
		return "", &Error{Path: path, Err: errors.New("the client secret file is not a regular file"), Hint: "point it at a file holding only the secret"}
	case mode.Perm()&0o022 != 0:
		return "", &Error{Path: path, Err: fmt.Errorf("the client secret file can be changed by others (mode %04o)", mode.Perm()),
			Hint: "chmod 600 " + path}
	case mode.Perm()&0o004 != 0:
		return "", &Error{Path: path, Err: fmt.Errorf("the client secret file is readable by every user (mode %04o)", mode.Perm()),
			Hint: "chmod 600 " + path}
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecret+1))
	if err != nil {
		return "", &Error{Path: path, Err: err}
	}
	if len(b) > maxSecret {
		return "", &Error{Path: path, Err: errors.New("the client secret file is over 4 KiB: is it the right file?"), Hint: "it should hold only the secret"}
	}
	secret := strings.TrimSpace(string(b))
	if secret == "" {
		return "", &Error{Path: path, Err: errors.New("the client secret file is empty"), Hint: "write the secret the portal's operators gave you into it"}
	}
	if strings.ContainsAny(secret, "\n\r") {
		return "", &Error{Path: path, Err: errors.New("the client secret file holds more than one line"), Hint: "it should hold only the secret"}
	}
	return secret, nil
}
