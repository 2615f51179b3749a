// Package jt808 is a pure codec for the JT/T 808 terminal ⇄ platform protocol
// ("道路运输车辆卫星定位系统 终端通讯协议及数据格式") used by the vehicle
// terminals of the official-vehicle fleet. It performs no I/O: it turns bytes
// into values and values into bytes, and never starts goroutines.
//
// # Editions
//
// Three editions of the standard are in the field:
//
//   - JT/T 808-2011: the oldest terminals. Same message header as 2013
//     (12 bytes, 6-byte BCD phone number), but some bodies differ; notably
//     the registration 0x0100 terminal model is BYTE[8] instead of BYTE[20].
//   - JT/T 808-2013: most terminals. Header bit 14 ("版本标识") is 0.
//   - JT/T 808-2019: newer terminals. Header bit 14 is 1; the header then
//     carries a protocol version byte and a 10-byte (20 digit) BCD phone
//     number, i.e. 17 bytes instead of 12 (21 instead of 16 when sub-packaged).
//     Several bodies grew: registration (maker ID 11, model 30, terminal ID
//     30 bytes), authentication (length-prefixed code, IMEI, software
//     version), text message 0x8300 (extra text type byte).
//
// The wire cannot tell 2011 from 2013: [Decode] reports [V2013] for every
// header without the version flag. Where the bodies differ, pass the edition
// you know (for example from the terminal's registration, see
// [DetectRegisterVersion]) to the message's Decode/AppendBody method.
//
// # Layers
//
//   - Framing: [Split] / [NewSplitFunc] are bufio.SplitFunc implementations
//     that cut a byte stream into 0x7e-delimited frames with a size limit.
//   - Packets: [Decode] unescapes a frame, verifies the XOR check code and
//     parses the [Header]; [Encode] / [AppendEncode] do the reverse.
//   - Sub-packages: [Reassembler] collects the parts of a long message and
//     [EncodeFragments] splits one for sending.
//   - Messages: the [Message] types of this package (location report 0x0200,
//     registration 0x0100, the general responses, parameters, server time
//     0x0004/0x8004, terminal attributes 0x8107/0x0107, multimedia
//     0x0800/0x0801/0x8800/0x8801, resend request 0x8003, pass-through
//     0x0900, ...) and [DecodeMessage] / [EncodeMessage] to dispatch on the
//     message ID. docs/jt808.md lists them with what the gateway does.
//
// Decoding never panics and never allocates more than a small multiple of
// its input: every count and length read from the wire is checked against
// the bytes actually remaining. Errors wrap the sentinel errors of this
// package (ErrChecksum, ErrTruncated, ...) for use with errors.Is.
//
// Strings (plate numbers, text messages, parameter values) are GBK on the
// wire and UTF-8 in Go. Fixed-length string fields are padded with 0x00 on
// encode and have trailing 0x00 bytes trimmed on decode. Times are BCD
// YYMMDDhhmmss in Beijing time (GMT+8) on the wire and are returned in UTC.
//
// # Sources
//
// The standard itself is not freely published; field layouts were checked
// against several public implementations and transcriptions of it:
//   - SmallChi/JT808 (C#): message layouts and most of the test frames in
//     testdata/ (see the comment at the top of each .hex file);
//   - yezhihao/jt808-server (Java): per-edition field lengths of 0x0100,
//     0x0102, 0x8300 (T0100.java, T0102.java, T8300.java) and the location
//     additional-item list (AttributeKey.java);
//   - toggery/java-jt808-messagebody (Java): 2013 vs 2019 differences
//     (B0100.java, B0200.java, B8300.java);
//   - AIPorto/GPS-Tracker-SDK G10LS_Protocol.md: the 2011 registration body
//     (terminal model BYTE[8]) and the 0x0704 layout;
//   - emqx/emqx apps/emqx_gateway_jt808 docs and hylexus xtream-codec docs:
//     2019 header layout and edition detection from bit 14;
//   - the 2013 alarm/status/additional-item tables as transcribed in the
//     javadoc of public codecs (e.g. "Jtt808T18" 位置信息汇报).
package jt808
