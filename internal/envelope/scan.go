package envelope

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/retabhook/retabhook/internal/jsonscan"
)

// scan decodes body in place, into all (nil: allocated for the call; a
// parts that is not zero must be Released first). ok is false when the
// body needs encoding/json to decide: invalid JSON, a known key repeated
// or spelled in another case (encoding/json matches keys
// case-insensitively and merges repeats), an escaped key, a value of a
// type the field does not take. For every body where ok is true, the
// result equals decodeStd's.
//
// The choices' string contents are decoded into *scratch as they are
// scanned (nil: room made for the call), then copied to one allocation of
// their size, which env.texts slice; *scratch is left grown. Room grown
// past MaxRoom is not copied from: env.texts slice it and *scratch is
// left nil, so that a large content is held once, not twice.
func scan(body []byte, runs *jsonscan.PlainRuns, scratch *[]byte, all *parts) (env *Envelope, ok bool) {
	if scratch == nil {
		scratch = new([]byte)
	}
	if all == nil {
		all = new(parts)
	}
	cs := contents{buf: (*scratch)[:0]}
	env, ok = scanInto(body, runs, &cs, all)
	*scratch = cs.buf[:0]
	if cs.kept {
		*scratch = nil // env.texts hold it
	}
	return env, ok
}

// MaxRoom is the most room for contents a scan copies its contents out
// of (see scan): the size of room worth keeping for the next body.
const MaxRoom = 1 << 20

// parts are the envelope and the objects it usually holds, in one
// allocation or a Room (the text of its strings and the decoded contents
// have one allocation each: they are the delivery's).
type parts struct {
	env     Envelope
	c       Completion
	fp      FilePayload
	choices [2]Choice
	slots   [3]string
	texts   [2]contentText
	spans   [2]span
}

// scanInto is scan with the contents decoded into cs, and the envelope
// into all (zero).
func scanInto(body []byte, runs *jsonscan.PlainRuns, cs *contents, all *parts) (env *Envelope, ok bool) {
	s := scanner{b: body, runs: runs}
	i := jsonscan.SkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, false
	}
	env = &all.env
	s.choiceRoom, s.slots = all.choices[:0], all.slots[:0:len(all.slots)]
	cs.spans = all.spans[:0]
	s.text.Grow(envelopeText)
	f := s.fields(i, envelopeKeys[:])
	for s.next(&f) {
		switch f.k {
		case 0:
			f.done(s.completion(f.v, &env.Completion, &all.c, cs))
		case 1:
			f.done(s.nullableString(f.v, &env.User))
		case 2:
			f.done(s.filePayload(f.v, &env.FilePayload, &all.fp))
		default:
			f.done(s.metadata(f.v, env))
		}
	}
	i, ok = f.end()
	if !ok || jsonscan.SkipSpace(body, i) != len(body) {
		return nil, false
	}
	if len(cs.spans) > 0 {
		n := cs.spans[len(cs.spans)-1].choice + 1
		env.texts = all.texts[:0]
		if n > len(all.texts) {
			env.texts = make([]contentText, 0, n)
		}
		env.texts = env.texts[:n]
		text := cs.buf
		if cap(text) > MaxRoom {
			cs.kept = true // too large to keep as room: the contents' own
		} else {
			text = bytes.Clone(text) // their size, not zeroed first
		}
		for _, sp := range cs.spans {
			env.texts[sp.choice] = contentText{b: text[sp.start:sp.end:sp.end], ok: true}
		}
	}
	return env, true
}

var (
	envelopeKeys   = [...]string{"completion", "user", "file_payload", "metadata"}
	completionKeys = [...]string{"id", "object", "created", "model", "choices", "usage", "extraction_id", "likelihoods", "requires_human_review"}
	choiceKeys     = [...]string{"index", "finish_reason", "message"}
	messageKeys    = [...]string{"content"}
	fileKeys       = [...]string{"filename", "url"}
)

type scanner struct {
	b    []byte
	runs *jsonscan.PlainRuns // b's plain runs, for the file URL; may be nil

	// text holds the strings' bytes, choiceRoom and slots room for the
	// choices and the strings pointed to (user, finish_reason) of a
	// usual envelope, allocated with it; past it, each is allocated on
	// its own.
	text       text
	choiceRoom []Choice
	slots      []string
}

// contents are the choices' string contents as the scan decodes them,
// back to back in buf, and where each is (choice by choice, in order).
type contents struct {
	buf   []byte
	spans []span
	kept  bool // buf, room past MaxRoom, became the envelope's
}

// span is where choice's decoded content is in contents.buf.
type span struct{ choice, start, end int }

// envelopeText is the room made for the text of an envelope's strings
// (completion id, object, model, created, extraction_id, each choice's
// finish_reason, user, filename), usually about 150 bytes.
const envelopeText = 256

// slot returns room for a string that a field points to.
func (s *scanner) slot() *string {
	if len(s.slots) < cap(s.slots) {
		s.slots = s.slots[:len(s.slots)+1]
		return &s.slots[len(s.slots)-1]
	}
	return new(string)
}

// fields is a walk of an object's members whose keys are among keys
// (see scanner.fields).
type fields struct {
	keys  []string
	seen  uint64 // keys has at most 64 names
	i     int    // where the walk is: the '{', past a value, or where it stopped
	k, v  int    // the member next returned: its key's index in keys, its value's index
	state walkState
}

type walkState uint8

const (
	atStart walkState = iota // at the '{'
	atValue                  // past a member's value
	ended                    // past the '}'
	stopped                  // on what is not as the scan expects
)

// fields starts a walk of the object at b[i] (which must be '{'): each
// call of next moves to its next member whose key is among keys, skipping
// the others, and the caller reads the value at f.v and tells done where
// it ended. The walk stops (and Decode falls back to encoding/json, whose
// rules then apply) on a key among keys seen twice, on a key that matches
// one of keys only case-insensitively, on an escaped key, and on what is
// not JSON.
func (s *scanner) fields(i int, keys []string) fields { return fields{keys: keys, i: i} }

// next moves f to the next member whose key is among f.keys, and reports
// whether there is one (false: the object ended, or the walk stopped).
func (s *scanner) next(f *fields) bool {
	b := s.b
	for {
		i := f.i
		switch f.state {
		case atStart:
			if i = jsonscan.SkipSpace(b, i+1); i < len(b) && b[i] == '}' {
				f.i, f.state = i+1, ended
				return false
			}
		case atValue:
			var more, ok bool
			if i, more, ok = jsonscan.Next(b, i, '}'); !ok || !more {
				f.i, f.state = i, stopped
				if ok {
					f.state = ended
				}
				return false
			}
		default:
			return false
		}
		v, keyEnd, flags, ok := jsonscan.MemberValue(b, i)
		if !ok || flags&jsonscan.Escaped != 0 {
			f.i, f.state = v, stopped
			return false
		}
		f.state = atValue
		switch k := f.match(b[i+1:keyEnd-1], flags); {
		case k >= 0:
			f.k, f.v = k, v
			return true
		case k == unknownKey:
			if f.i, ok = jsonscan.Skip(b, v); !ok {
				f.state = stopped
				return false
			}
		default:
			f.i, f.state = v, stopped
			return false
		}
	}
}

// done records where the value of the member next returned ended, and
// whether it was read.
func (f *fields) done(end int, ok bool) {
	f.i = end
	if !ok {
		f.state = stopped
	}
}

// end returns the index just past the object, and whether it was read
// whole (false: where the walk stopped).
func (f *fields) end() (int, bool) { return f.i, f.state == ended }

// match returns the index in f.keys of key (the unescaped bytes of a
// key, with its flags), unknownKey for a key that is none of them, and
// badKey for one the scan leaves to encoding/json: a repeat, or a key
// that matches a name only case-insensitively.
func (f *fields) match(key []byte, flags jsonscan.StringFlags) int {
	ascii := flags&jsonscan.NonASCII == 0
	for k, name := range f.keys {
		if len(key) == len(name) {
			if string(key) == name {
				if f.seen&(1<<k) != 0 {
					return badKey
				}
				f.seen |= 1 << k
				return k
			}
			// (ASCII bytes equal under folding are equal but for
			// bit 0x20.)
			if ascii && key[0]|0x20 == name[0]|0x20 && bytes.EqualFold(key, []byte(name)) {
				return badKey
			}
		}
	}
	if !ascii {
		for _, name := range f.keys {
			// A key equal to name under case folding has as many
			// runes, each of one to three bytes (name is ASCII: only
			// k and s fold to longer runes, U+212A and U+017F).
			if len(key) >= len(name) && len(key) <= 3*len(name) && bytes.EqualFold(key, []byte(name)) {
				return badKey
			}
		}
	}
	// Otherwise key folds to no name: an ASCII key of a name's length is
	// compared with it above, and a key of another length folds to a
	// name only through a non-ASCII rune.
	return unknownKey
}

// What match returns for a key that is not among the names.
const (
	unknownKey = -1 // skipped
	badKey     = -2 // the walk stops
)

// objectStart reads null at b[i] (setting *dst to nil) or the start of
// an object (setting *dst to v): object is true when the caller walks the
// object there; anything else fails.
func objectStart[T any](s *scanner, i int, dst **T, v *T) (end int, object, ok bool) {
	if s.isNull(i) {
		*dst = nil
		return i + 4, false, true
	}
	if i >= len(s.b) || s.b[i] != '{' {
		return i, false, false
	}
	*dst = v
	return i, true, true
}

func (s *scanner) isNull(i int) bool {
	return len(s.b)-i >= 4 && string(s.b[i:i+4]) == "null"
}

// str decodes the string value at b[i] into *dst.
func (s *scanner) str(i int, dst *string) (int, bool) {
	end, flags, ok := jsonscan.String(s.b, i)
	if !ok {
		return i, false
	}
	*dst = s.text.add(s.b[i:end], flags)
	return end, true
}

// stringField decodes into a string field: a string sets it, null leaves
// it unchanged.
func (s *scanner) stringField(i int, dst *string) (int, bool) {
	if s.isNull(i) {
		return i + 4, true
	}
	if i >= len(s.b) || s.b[i] != '"' {
		return i, false
	}
	return s.str(i, dst)
}

// boolField decodes into a bool field: true or false sets it, null leaves
// it unchanged.
func (s *scanner) boolField(i int, dst *bool) (int, bool) {
	switch {
	case s.isNull(i):
		return i + 4, true
	case len(s.b)-i >= 4 && string(s.b[i:i+4]) == "true":
		*dst = true
		return i + 4, true
	case len(s.b)-i >= 5 && string(s.b[i:i+5]) == "false":
		*dst = false
		return i + 5, true
	}
	return i, false
}

func (s *scanner) nullableString(i int, dst **string) (int, bool) {
	if s.isNull(i) {
		*dst = nil
		return i + 4, true
	}
	if i >= len(s.b) || s.b[i] != '"' {
		return i, false
	}
	*dst = s.slot()
	return s.str(i, *dst)
}

// metadata reads the metadata at b[i]: raw, as s.raw keeps it, and, when
// it is an object Metadata decodes, decoded in the same walk (its strings
// kept with the envelope's).
func (s *scanner) metadata(i int, env *Envelope) (int, bool) {
	if i < len(s.b) && s.b[i] == '{' {
		d := metaDecoder{b: s.b, text: &s.text}
		if v, end, ok := d.value(i, 0); ok {
			env.Metadata, env.meta = s.b[i:end:end], v.(map[string]any)
			return end, true
		}
		// Not decoded (a number ParseFloat refuses, too deep, not
		// JSON): scanned as any other value.
	}
	return s.raw(i, &env.Metadata)
}

// raw keeps the value as a slice of the body, capacity clipped so that an
// append never writes into the body.
func (s *scanner) raw(i int, dst *json.RawMessage) (int, bool) {
	end, ok := jsonscan.Skip(s.b, i)
	*dst = s.b[i:end:end]
	return end, ok
}

func (s *scanner) completion(i int, dst **Completion, c *Completion, cs *contents) (int, bool) {
	if end, object, ok := objectStart(s, i, dst, c); !object {
		return end, ok
	}
	f := s.fields(i, completionKeys[:])
	for s.next(&f) {
		i := f.v
		switch f.k {
		case 0:
			f.done(s.stringField(i, &c.ID))
		case 1:
			f.done(s.stringField(i, &c.Object))
		case 2:
			if s.isNull(i) {
				f.done(i+4, true)
				break
			}
			end, _, ok := jsonscan.Number(s.b, i)
			c.Created = json.Number(s.text.copy(s.b[i:end]))
			f.done(end, ok)
		case 3:
			f.done(s.stringField(i, &c.Model))
		case 4:
			f.done(s.choices(i, &c.Choices, cs))
		case 5:
			f.done(s.raw(i, &c.Usage))
		case 6:
			f.done(s.stringField(i, &c.ExtractionID))
		case 7:
			f.done(s.raw(i, &c.Likelihoods))
		default:
			f.done(s.boolField(i, &c.RequiresHumanReview))
		}
	}
	return f.end()
}

func (s *scanner) choices(i int, dst *[]Choice, cs *contents) (int, bool) {
	b := s.b
	if s.isNull(i) {
		*dst = nil
		return i + 4, true
	}
	if i >= len(b) || b[i] != '[' {
		return i, false
	}
	i = jsonscan.SkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		*dst = []Choice{}
		return i + 1, true
	}
	// The choices are decoded into the room made for them with the
	// envelope, and grow past it (walked once: they hold the content).
	out := s.choiceRoom[:0]
	for {
		if len(out) < cap(out) {
			out = out[:len(out)+1]
		} else {
			out = append(out, Choice{})
		}
		var ok bool
		if i, ok = s.choice(i, len(out)-1, &out[len(out)-1], cs); !ok {
			return i, false
		}
		i = jsonscan.SkipSpace(b, i)
		switch {
		case i < len(b) && b[i] == ',':
			i = jsonscan.SkipSpace(b, i+1)
		case i < len(b) && b[i] == ']':
			*dst = out[:len(out):len(out)]
			return i + 1, true
		default:
			return i, false
		}
	}
}

func (s *scanner) choice(i, n int, ch *Choice, cs *contents) (int, bool) {
	var dst *Choice // a null choice stays the zero Choice
	if end, object, ok := objectStart(s, i, &dst, ch); !object {
		return end, ok
	}
	f := s.fields(i, choiceKeys[:])
	for s.next(&f) {
		i := f.v
		switch f.k {
		case 0:
			if s.isNull(i) {
				f.done(i+4, true)
				break
			}
			end, integer, ok := jsonscan.Number(s.b, i)
			if !ok || !integer {
				f.done(i, false)
				break
			}
			n, err := strconv.ParseInt(string(s.b[i:end]), 10, 0)
			ch.Index = int(n)
			f.done(end, err == nil)
		case 1:
			f.done(s.nullableString(i, &ch.FinishReason))
		default:
			f.done(s.message(i, n, &ch.Message, cs))
		}
	}
	return f.end()
}

// message reads choice n's message into m (a null message leaves the
// zero message).
func (s *scanner) message(i, n int, m *Message, cs *contents) (int, bool) {
	dst := m
	if end, object, ok := objectStart(s, i, &dst, m); !object {
		return end, ok
	}
	f := s.fields(i, messageKeys[:])
	for s.next(&f) {
		if i := f.v; i < len(s.b) && s.b[i] == '"' {
			f.done(s.content(i, n, &m.Content, cs))
		} else {
			f.done(s.raw(i, &m.Content))
		}
	}
	return f.end()
}

// content reads choice n's content, a string at b[i]: raw, as s.raw
// keeps it, and decoded into cs in the same pass.
func (s *scanner) content(i, n int, raw *json.RawMessage, cs *contents) (int, bool) {
	if len(s.b)-i > MaxRoom {
		// It may be large: the room is grown to the token's size first
		// (found by a scan, which jumps the plain runs), so that it is
		// not doubled past it and then copied.
		if end, _, ok := jsonscan.StringRuns(s.b, i, s.runs); ok && end-i > MaxRoom {
			// make, not slices.Grow: under -race its append of a make
			// allocates twice.
			grown := make([]byte, len(cs.buf), len(cs.buf)+end-i)
			copy(grown, cs.buf)
			cs.buf = grown
		}
	}
	start := len(cs.buf)
	out, end, ok := jsonscan.AppendString(cs.buf, s.b, i)
	cs.buf = out
	if !ok {
		return end, false
	}
	*raw = s.b[i:end:end]
	cs.spans = append(cs.spans, span{n, start, len(out)})
	return end, true
}

func (s *scanner) filePayload(i int, dst **FilePayload, fp *FilePayload) (int, bool) {
	if end, object, ok := objectStart(s, i, dst, fp); !object {
		return end, ok
	}
	f := s.fields(i, fileKeys[:])
	for s.next(&f) {
		if f.k == 0 {
			f.done(s.stringField(f.v, &fp.Filename))
		} else {
			f.done(s.url(f.v, fp))
		}
	}
	return f.end()
}

// url reads the file's url at b[i] into fp.URL (null leaves it unchanged).
func (s *scanner) url(i int, fp *FilePayload) (int, bool) {
	if s.isNull(i) {
		return i + 4, true
	}
	end, flags, ok := jsonscan.StringRuns(s.b, i, s.runs)
	if !ok {
		return i, false
	}
	if jsonscan.Plain(s.b[i:end], flags) {
		fp.URL = s.b[i+1 : end-1 : end-1]
	} else {
		fp.URL = jsonscan.Unquote(nil, s.b[i:end])
	}
	return end, true
}
