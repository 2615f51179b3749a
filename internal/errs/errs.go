// Package errs defines the one error type of govfleet. Every layer returns
// *errs.Error (or wraps one); internal/httpapi maps its Code to an HTTP status
// in one place, and the Chinese Message goes to the user unchanged.
package errs

import (
	"errors"
	"fmt"
)

// Code classifies an error for the API.
type Code string

const (
	Invalid                Code = "invalid"
	NotFound               Code = "not_found"
	Conflict               Code = "conflict"
	Forbidden              Code = "forbidden"
	Unauthenticated        Code = "unauthenticated"
	PasswordChangeRequired Code = "password_change_required"
	TOTPEnrolRequired      Code = "totp_enrol_required" // the policy asks a second factor the account has not bound yet
	Locked                 Code = "locked"
	TooManyRequests        Code = "too_many_requests"      // throttled: try again later (HTTP 429)
	TooLarge               Code = "too_large"              // a request body over the limit
	UnsupportedMedia       Code = "unsupported_media_type" // a body that is not JSON where JSON is expected
	Internal               Code = "internal"
)

// Codes lists every Code, in the order above; the API documents them
// (internal/httpapi's OpenAPI document) with their HTTP status.
var Codes = []Code{Invalid, NotFound, Conflict, Forbidden, Unauthenticated, PasswordChangeRequired, TOTPEnrolRequired, Locked, TooManyRequests, TooLarge, UnsupportedMedia, Internal}

// Error is an application error with a Chinese message for the user and,
// for invalid input, a message per field (keyed by the JSON field name).
type Error struct {
	Code    Code              `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	Err     error             `json:"-"` // underlying cause, logged, never shown
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error with a formatted message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap marks err as internal; its text is logged but not shown.
func Wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: Internal, Message: "系统内部错误，请稍后重试", Err: fmt.Errorf("%s: %w", what, err)}
}

// CodeOf returns the code of err (Internal for foreign errors).
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// Fields collects per-field validation messages. The zero value is ready.
type Fields map[string]string

// Add records msg for field unless the field already has a message.
func (f *Fields) Add(field, msg string) {
	if *f == nil {
		*f = Fields{}
	}
	if _, ok := (*f)[field]; !ok {
		(*f)[field] = msg
	}
}

// Check adds msg for field when bad is true.
func (f *Fields) Check(bad bool, field, msg string) {
	if bad {
		f.Add(field, msg)
	}
}

// Err returns an Invalid error listing the fields, or nil when there are none.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	msg := "提交的信息有误，请检查标红的字段"
	if len(f) == 1 {
		for _, m := range f {
			msg = m
		}
	}
	return &Error{Code: Invalid, Message: msg, Fields: f}
}
