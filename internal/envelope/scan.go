package envelope

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/retabhook/retabhook/internal/jsonscan"
)

// scan decodes body in place. ok is false when the body needs
// encoding/json to decide: invalid JSON, a known key repeated or spelled
// in another case (encoding/json matches keys case-insensitively and
// merges repeats), an escaped key, a value of a type the field does not
// take. For every body where ok is true, the result equals decodeStd's.
//
// The choices' string contents are decoded into *scratch as they are
// scanned (nil: room made for the call), then copied to one allocation of
// their size, which env.texts slice; *scratch is left grown. Room grown
// past MaxRoom is not copied from: env.texts slice it and *scratch is
// left nil, so that a large content is held once, not twice.
func scan(body []byte, runs *jsonscan.PlainRuns, scratch *[]byte) (env *Envelope, ok bool) {
	if scratch == nil {
		scratch = new([]byte)
	}
	cs := contents{buf: (*scratch)[:0]}
	env, ok = scanInto(body, runs, &cs)
	*scratch = cs.buf[:0]
	if cs.kept {
		*scratch = nil // env.texts hold it
	}
	return env, ok
}

// MaxRoom is the most room for contents a scan copies its contents out
// of (see scan): the size of room worth keeping for the next body.
const MaxRoom = 1 << 20

// scanInto is scan with the contents decoded into cs.
func scanInto(body []byte, runs *jsonscan.PlainRuns, cs *contents) (env *Envelope, ok bool) {
	s := scanner{b: body, runs: runs}
	i := jsonscan.SkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, false
	}
	// One allocation for the envelope and the objects it usually holds,
	// one for the text of its strings, one for the decoded contents.
	all := new(struct {
		env     Envelope
		c       Completion
		fp      FilePayload
		choices [2]Choice
		slots   [3]string
		texts   [2]contentText
		spans   [2]span
	})
	env = &all.env
	s.choiceRoom, s.slots = all.choices[:0], all.slots[:0:len(all.slots)]
	cs.spans = all.spans[:0]
	s.text.Grow(envelopeText)
	i, ok = s.object(i, envelopeKeys[:], func(k, i int) (int, bool) {
		switch k {
		case 0:
			return s.completion(i, &env.Completion, &all.c, cs)
		case 1:
			return s.nullableString(i, &env.User)
		case 2:
			return s.filePayload(i, &env.FilePayload, &all.fp)
		default:
			return s.metadata(i, env)
		}
	})
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

// object walks the object at b[i] (which must be '{'), calling field for
// each key among keys with the index of the key and of its value, and
// skipping the others. It fails (and Decode falls back to encoding/json,
// whose rules then apply) on a key among keys seen twice, on a key that
// matches one of keys only case-insensitively, and on an escaped key.
func (s *scanner) object(i int, keys []string, field func(k, i int) (int, bool)) (int, bool) {
	b := s.b
	var seen uint64 // keys has at most 64 names
	return jsonscan.Object(b, i, func(start, end int, flags jsonscan.StringFlags, v int) (int, bool) {
		if flags&jsonscan.Escaped != 0 {
			return v, false
		}
		key := b[start+1 : end-1]
		ascii := flags&jsonscan.NonASCII == 0
		for k, name := range keys {
			if len(key) == len(name) {
				if string(key) == name {
					if seen&(1<<k) != 0 {
						return v, false
					}
					seen |= 1 << k
					return field(k, v)
				}
				// (ASCII bytes equal under folding are equal but for
				// bit 0x20.)
				if ascii && key[0]|0x20 == name[0]|0x20 && bytes.EqualFold(key, []byte(name)) {
					return v, false
				}
			}
		}
		if !ascii {
			for _, name := range keys {
				// A key equal to name under case folding has as many
				// runes, each of one to three bytes (name is ASCII: only
				// k and s fold to longer runes, U+212A and U+017F).
				if len(key) >= len(name) && len(key) <= 3*len(name) && bytes.EqualFold(key, []byte(name)) {
					return v, false
				}
			}
		}
		// Otherwise key folds to no name: an ASCII key of a name's
		// length is compared with it above, and a key of another length
		// folds to a name only through a non-ASCII rune.
		return jsonscan.Skip(b, v)
	})
}

// nullableObject reads null (setting *dst to nil) or an object (setting
// *dst to v, then walking it with object); anything else fails.
func nullableObject[T any](s *scanner, i int, dst **T, v *T, keys []string, field func(k, i int) (int, bool)) (int, bool) {
	if s.isNull(i) {
		*dst = nil
		return i + 4, true
	}
	if i >= len(s.b) || s.b[i] != '{' {
		return i, false
	}
	*dst = v
	return s.object(i, keys, field)
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
	return nullableObject(s, i, dst, c, completionKeys[:], func(k, i int) (int, bool) {
		switch k {
		case 0:
			return s.stringField(i, &c.ID)
		case 1:
			return s.stringField(i, &c.Object)
		case 2:
			if s.isNull(i) {
				return i + 4, true
			}
			end, _, ok := jsonscan.Number(s.b, i)
			c.Created = json.Number(s.text.copy(s.b[i:end]))
			return end, ok
		case 3:
			return s.stringField(i, &c.Model)
		case 4:
			return s.choices(i, &c.Choices, cs)
		case 5:
			return s.raw(i, &c.Usage)
		case 6:
			return s.stringField(i, &c.ExtractionID)
		case 7:
			return s.raw(i, &c.Likelihoods)
		default:
			return s.boolField(i, &c.RequiresHumanReview)
		}
	})
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
	return nullableObject(s, i, &dst, ch, choiceKeys[:], func(k, i int) (int, bool) {
		switch k {
		case 0:
			if s.isNull(i) {
				return i + 4, true
			}
			end, integer, ok := jsonscan.Number(s.b, i)
			if !ok || !integer {
				return i, false
			}
			n, err := strconv.ParseInt(string(s.b[i:end]), 10, 0)
			ch.Index = int(n)
			return end, err == nil
		case 1:
			return s.nullableString(i, &ch.FinishReason)
		default:
			dst := &ch.Message // a null message stays the zero message
			return nullableObject(s, i, &dst, &ch.Message, messageKeys[:], func(_, i int) (int, bool) {
				if i < len(s.b) && s.b[i] == '"' {
					return s.content(i, n, &ch.Message.Content, cs)
				}
				return s.raw(i, &ch.Message.Content)
			})
		}
	})
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
	return nullableObject(s, i, dst, fp, fileKeys[:], func(k, i int) (int, bool) {
		if k == 0 {
			return s.stringField(i, &fp.Filename)
		}
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
	})
}
