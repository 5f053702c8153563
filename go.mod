module github.com/slices-ri/slices-agent

go 1.26.0

require (
	github.com/godbus/dbus/v5 v5.2.2
	github.com/golang-jwt/jwt/v5 v5.3.1
	github.com/zalando/go-keyring v0.2.8
	golang.org/x/oauth2 v0.37.0
	golang.org/x/sys v0.49.0
	rsc.io/qr v0.2.0
)

require github.com/danieljoos/wincred v1.2.3 // indirect
