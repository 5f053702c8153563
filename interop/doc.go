// Package interop checks slices-agent against an OpenID Provider it did not
// write: the example server of github.com/zitadel/oidc/v3, whose OP library
// is OpenID Certified. It is a module of its own so that the product's
// go.mod does not carry the provider's dependencies.
//
// The test builds the real slices-agent from the parent module, starts the
// provider on 127.0.0.1, and has the agent log in with the device flow (a
// confidential client authenticating with client_secret_basic, and a public
// one), serve the user token, and renew it through a refresh-token rotation.
// A person's approval is the provider's own device pages, driven over HTTP.
// The projects API is the Slices portal's alone and is not part of it.
package interop
