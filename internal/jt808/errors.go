package jt808

import "errors"

// Sentinel errors. Errors returned by this package wrap one of these (with
// details such as offsets and values), so test them with errors.Is.
var (
	// ErrFrame reports a frame that is not 0x7e … 0x7e, or that contains a
	// flag byte inside it.
	ErrFrame = errors.New("jt808: malformed frame")
	// ErrFrameTooLarge reports a frame longer than the allowed maximum.
	ErrFrameTooLarge = errors.New("jt808: frame too large")
	// ErrEscape reports a 0x7d byte not followed by 0x01 or 0x02.
	ErrEscape = errors.New("jt808: invalid escape sequence")
	// ErrChecksum reports a check code that does not match the XOR of the
	// header and body.
	ErrChecksum = errors.New("jt808: check code mismatch")
	// ErrTruncated reports data that ends before a field it must contain.
	ErrTruncated = errors.New("jt808: truncated data")
	// ErrBodyLength reports a body whose size differs from the length in the
	// header's body attributes.
	ErrBodyLength = errors.New("jt808: body length mismatch")
	// ErrBodyTooLarge reports a body longer than the 10-bit length field
	// allows (1023 bytes); use EncodeFragments for long bodies.
	ErrBodyTooLarge = errors.New("jt808: body too large for one packet")
	// ErrTrailingData reports bytes left over after a complete body.
	ErrTrailingData = errors.New("jt808: trailing data after body")
	// ErrBCD reports a BCD byte with a nibble above 9, or a non-digit in a
	// value to be BCD-encoded.
	ErrBCD = errors.New("jt808: invalid BCD")
	// ErrValue reports a field value that is out of range or not encodable.
	ErrValue = errors.New("jt808: invalid field value")
	// ErrFieldTooLong reports a string longer than its fixed wire length.
	ErrFieldTooLong = errors.New("jt808: field too long")
	// ErrVersion reports an unknown protocol edition.
	ErrVersion = errors.New("jt808: unsupported protocol version")
	// ErrEncrypted reports a body that is encrypted (RSA), which this
	// package cannot decode.
	ErrEncrypted = errors.New("jt808: encrypted body")
	// ErrFragmented reports an attempt to decode the body of a single
	// sub-package; reassemble it first.
	ErrFragmented = errors.New("jt808: sub-packaged body must be reassembled first")
	// ErrUnknownMessage reports a message ID this package has no type for.
	ErrUnknownMessage = errors.New("jt808: unknown message ID")
	// ErrSubPackage reports an invalid sub-package total/index.
	ErrSubPackage = errors.New("jt808: invalid sub-package")
	// ErrReassemblyLimit reports that a Reassembler limit was reached.
	ErrReassemblyLimit = errors.New("jt808: reassembly limit exceeded")
)
