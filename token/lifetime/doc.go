// Package lifetime is the arithmetic of a token's life: the one renewal policy
// ([DefaultPolicy]) the agent, the CLI and the TUI share, the stages a token
// goes through ([Stage]), and how the time it has left is shown
// ([HumanDuration], [ShortDuration], [Relative], [When]).
//
// [RenewAt] says when to renew (about a quarter of the lifetime before exp,
// never before half-life) and [FractionLeft] how much of the lifetime is left.
//
// It imports nothing but the standard library, so the smallest client can use
// it without linking the JWT and crypto code of package token.
package lifetime
