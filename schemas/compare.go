package schemas

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/retabhook/retabhook/internal/jsonpointer"
	"github.com/retabhook/retabhook/internal/jsontree"
)

// Kinds of [Difference].
const (
	DiffMissingInFile   = "missing-in-file"   // a field of the struct the file lacks
	DiffMissingInStruct = "missing-in-struct" // a field of the file the struct lacks
	DiffType            = "type"              // the JSON types differ
	DiffNullable        = "nullable"          // one side accepts null, the other does not
	DiffRequired        = "required"          // required on one side only
	DiffConstraint      = "constraint"        // enum, format, pattern, bounds, additionalProperties...
	DiffAnnotation      = "annotation"        // description, title, X- keys, examples...
)

// Difference is one way a schema file and a Go struct's schema disagree.
type Difference struct {
	// Path names the field in the extracted object: "supplier.vat_id",
	// "line_items[].quantity", "" for the root object.
	Path string `json:"path"`
	// Kind is one of the Diff... constants.
	Kind string `json:"kind"`
	// Keyword is the schema keyword that differs, for DiffConstraint and
	// DiffAnnotation.
	Keyword string `json:"keyword,omitempty"`
	// File and Struct are the two sides' values, as JSON, when they have
	// one.
	File   string `json:"file,omitempty"`
	Struct string `json:"struct,omitempty"`
	// Message says what differs and what to do about it.
	Message string `json:"message"`
}

// String returns "path: message" ("(root)" for the root object).
func (d Difference) String() string {
	p := d.Path
	if p == "" {
		p = "(root)"
	}
	return p + ": " + d.Message
}

// Structural reports whether the difference changes what validates or
// how it decodes (every kind but [DiffAnnotation], which only changes what
// the model is told, and the schema's id but not its data id).
func (d Difference) Structural() bool { return d.Kind != DiffAnnotation }

// Equal reports whether two schemas are the same document: the same
// members with the same values, whatever their order and formatting.
func (s *Schema) Equal(o *Schema) bool { return s.tree.Equal(o.tree) }

// Compare lists every difference between a schema file (what Retab
// extracts against, parsed with [Parse]) and the schema derived from a Go
// struct (what the handler decodes into, from [For]), walking both from
// the root: fields missing on either side, JSON types, nullability,
// required-ness, constraints and annotations. References ($ref) are
// followed on both sides, and "null" written as a type array or as an
// anyOf branch counts the same. Differences come in the file's field
// order, then the struct's.
func Compare(file, derived *Schema) []Difference {
	c := &comparer{file: file, code: derived, seen: map[string]bool{}}
	c.node("", file.tree, "", derived.tree, "")
	return c.out
}

type comparer struct {
	file, code *Schema
	seen       map[string]bool
	out        []Difference
}

func (c *comparer) add(d Difference) { c.out = append(c.out, d) }

// goName returns the Go name recorded for a schema pointer of the struct
// side ("Party.VATID", or "Party" for an object).
func (c *comparer) goName(ptr string) string { return c.code.fields[ptr] }

func (c *comparer) node(path string, f *value, fptr string, s *value, sptr string) {
	f, fptr = resolve(c.file.tree, f, fptr)
	s, sptr = resolve(c.code.tree, s, sptr)
	key := fptr + "\x00" + sptr
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	fcore, fnull, fptr := splitNull(c.file.tree, f, fptr)
	score, snull, sptr := splitNull(c.code.tree, s, sptr)

	ft, st := typeNames(fcore), typeNames(score)
	if ft != st {
		c.add(Difference{Path: path, Kind: DiffType, File: ft, Struct: st, Message: fmt.Sprintf(
			"the file says %s, the struct%s says %s: change the field's Go type or the file", ft, c.inGo(sptr), st)})
		return
	}
	switch {
	case fnull && !snull:
		c.add(Difference{Path: path, Kind: DiffNullable, File: "null allowed", Struct: "null refused", Message: fmt.Sprintf(
			"the file allows null, the struct%s does not: make the field a pointer or add omitempty, or the model's null is refused", c.inGo(sptr))})
	case snull && !fnull:
		c.add(Difference{Path: path, Kind: DiffNullable, File: "null refused", Struct: "null allowed", Message: fmt.Sprintf(
			"the struct%s allows null (a pointer or omitempty), the file does not: add \"null\" to its type in the file, or make the Go field a plain value", c.inGo(sptr))})
	}
	c.keywords(path, fcore, score, sptr)

	fprops, sprops := fcore.Get("properties"), score.Get("properties")
	if fprops != nil || sprops != nil {
		c.properties(path, fcore, fptr, score, sptr)
	}
	fi, si := fcore.Get("items"), score.Get("items")
	if fi != nil && si != nil && fi.Kind == jsontree.Object && si.Kind == jsontree.Object {
		c.node(path+"[]", fi, fptr+"/items", si, sptr+"/items")
	}
	fa, sa := fcore.Get("additionalProperties"), score.Get("additionalProperties")
	if fa != nil && sa != nil && fa.Kind == jsontree.Object && sa.Kind == jsontree.Object {
		c.node(path+"{}", fa, fptr+"/additionalProperties", sa, sptr+"/additionalProperties")
	}
}

func (c *comparer) inGo(sptr string) string {
	if n := c.goName(sptr); n != "" {
		return " (" + n + ")"
	}
	return ""
}

func (c *comparer) properties(path string, f *value, fptr string, s *value, sptr string) {
	fprops, sprops := f.Get("properties"), s.Get("properties")
	if fprops == nil {
		fprops = jsontree.NewObject()
	}
	if sprops == nil {
		sprops = jsontree.NewObject()
	}
	freq, sreq := requiredSet(f), requiredSet(s)
	owner := c.goName(sptr)
	if owner == "" {
		owner = "the struct"
	}
	for i, name := range fprops.Keys {
		p := joinPath(path, name)
		sp := sprops.Get(name)
		if sp == nil {
			c.add(Difference{Path: p, Kind: DiffMissingInStruct, Message: fmt.Sprintf(
				"in the file but not in the struct: add a field with `json:\"%s\"` to %s, or remove it from the file (the router would accept it and drop it when decoding)", name, owner)})
			continue
		}
		spp := sptr + "/properties/" + jsonpointer.Escape(name)
		c.required(p, name, freq[name], sreq[name], c.goName(spp))
		c.node(p, fprops.Vals[i], fptr+"/properties/"+jsonpointer.Escape(name), sp, spp)
	}
	for _, name := range sprops.Keys {
		if fprops.Get(name) != nil {
			continue
		}
		spp := sptr + "/properties/" + jsonpointer.Escape(name)
		field := c.goName(spp)
		if field == "" {
			field = strconv.Quote(name)
		}
		c.add(Difference{Path: joinPath(path, name), Kind: DiffMissingInFile, Message: fmt.Sprintf(
			"in the struct (%s) but not in the file: export the schema again and upload it to Retab, or remove the field from the struct", field)})
	}
}

func (c *comparer) required(path, name string, inFile, inStruct bool, field string) {
	if field == "" {
		field = "the field"
	}
	switch {
	case inFile && !inStruct:
		c.add(Difference{Path: path, Kind: DiffRequired, File: "required", Struct: "optional", Message: fmt.Sprintf(
			"required in the file, optional in the struct (%s has omitempty): remove omitempty, or remove %q from the file's required list", field, name)})
	case inStruct && !inFile:
		c.add(Difference{Path: path, Kind: DiffRequired, File: "optional", Struct: "required", Message: fmt.Sprintf(
			"required in the struct (%s has no omitempty), optional in the file: add omitempty to its json tag, or add %q to the file's required list", field, name)})
	}
}

// skipped are the keywords compared structurally, not as values.
var skipped = map[string]bool{
	"type": true, "properties": true, "required": true, "items": true, "$ref": true,
	"$defs": true, "definitions": true, "$schema": true, "$id": true,
}

func (c *comparer) keywords(path string, f, s *value, sptr string) {
	var names []string
	for _, k := range f.Keys {
		names = append(names, k)
	}
	for _, k := range s.Keys {
		if f.Get(k) == nil {
			names = append(names, k)
		}
	}
	for _, k := range names {
		if skipped[k] {
			continue
		}
		fv, sv := f.Get(k), s.Get(k)
		if k == "additionalProperties" && fv != nil && sv != nil && fv.Kind == jsontree.Object && sv.Kind == jsontree.Object {
			continue // compared as a node
		}
		if fv != nil && sv != nil && fv.Equal(sv) {
			continue
		}
		if fv == nil && c.code.implied[sptr+"/"+k] {
			continue // the Go type's range: decoding refuses the rest anyway
		}
		kind := DiffConstraint
		if isAnnotation(k) {
			kind = DiffAnnotation
		}
		d := Difference{Path: path, Kind: kind, Keyword: k}
		switch {
		case fv == nil:
			d.Struct = short(sv)
			d.Message = fmt.Sprintf("%s is %s in the struct%s and absent from the file", k, d.Struct, c.inGo(sptr))
		case sv == nil:
			d.File = short(fv)
			d.Message = fmt.Sprintf("%s is %s in the file and absent from the struct%s", k, d.File, c.inGo(sptr))
		default:
			d.File, d.Struct = short(fv), short(sv)
			d.Message = fmt.Sprintf("%s differs: the file has %s, the struct%s has %s", k, d.File, c.inGo(sptr), d.Struct)
		}
		c.add(d)
	}
}

func short(v *value) string {
	b := appendPython(nil, v)
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func requiredSet(s *value) map[string]bool {
	set := map[string]bool{}
	if r := s.Get("required"); r != nil && r.Kind == jsontree.Array {
		for _, e := range r.Elems {
			if e.Kind == jsontree.String {
				set[e.Text] = true
			}
		}
	}
	return set
}

// resolve follows "$ref" within the document (up to a bound, against
// cycles): the result is the target with the referring node's other
// members laid over it.
func resolve(root, v *value, ptr string) (*value, string) {
	for range 32 {
		if v == nil || v.Kind != jsontree.Object {
			return v, ptr
		}
		ref, ok := v.Str("$ref")
		if !ok {
			return v, ptr
		}
		target, tptr := lookupPointer(root, ref)
		if target == nil || target.Kind != jsontree.Object {
			return v, ptr
		}
		merged := target.Clone()
		for i, k := range v.Keys {
			if k != "$ref" {
				merged.Set(k, v.Vals[i])
			}
		}
		v, ptr = merged, tptr
	}
	return v, ptr
}

// lookupPointer finds the node a local reference ("#", "#/$defs/Name")
// points at.
func lookupPointer(root *value, ref string) (*value, string) {
	if ref == "#" {
		return root, ""
	}
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, ""
	}
	cur := root
	for _, tok := range strings.Split(rest, "/") {
		tok = jsonpointer.Unescape(tok)
		switch cur.Kind {
		case jsontree.Object:
			cur = cur.Get(tok)
		case jsontree.Array:
			n, err := strconv.Atoi(tok)
			if err != nil || n < 0 || n >= len(cur.Elems) {
				return nil, ""
			}
			cur = cur.Elems[n]
		default:
			return nil, ""
		}
		if cur == nil {
			return nil, ""
		}
	}
	return cur, "/" + rest
}

// splitNull separates "accepts null" from the rest of a schema: a type
// array with "null", an enum with null, or an anyOf/oneOf whose other
// branch is the real schema.
func splitNull(root, v *value, ptr string) (*value, bool, string) {
	return splitNullDepth(root, v, ptr, 0)
}

func splitNullDepth(root, v *value, ptr string, depth int) (*value, bool, string) {
	if v == nil || v.Kind != jsontree.Object || depth > 32 {
		if v == nil {
			v = jsontree.NewObject()
		}
		return v, false, ptr
	}
	for _, k := range []string{"anyOf", "oneOf"} {
		alt := v.Get(k)
		if alt == nil || alt.Kind != jsontree.Array || len(alt.Elems) != 2 {
			continue
		}
		for i, e := range alt.Elems {
			if t, _ := e.Str("type"); t == "null" && len(e.Keys) == 1 {
				other, optr := resolve(root, alt.Elems[1-i], fmt.Sprintf("%s/%s/%d", ptr, k, 1-i))
				merged := other.Clone()
				for j, key := range v.Keys {
					if key != k {
						merged.Set(key, v.Vals[j])
					}
				}
				core, _, _ := splitNullDepth(root, merged, optr, depth+1)
				return core, true, optr
			}
		}
	}
	null := false
	c := v
	if t := v.Get("type"); t != nil && t.Kind == jsontree.Array {
		var kept []*value
		for _, e := range t.Elems {
			if e.Kind == jsontree.String && e.Text == "null" {
				null = true
				continue
			}
			kept = append(kept, e)
		}
		if null {
			c = v.Clone()
			switch len(kept) {
			case 0:
				c.Del("type")
			case 1:
				c.Set("type", kept[0])
			default:
				c.Set("type", jsontree.NewArray(kept...))
			}
		}
	}
	if e := c.Get("enum"); e != nil && e.Kind == jsontree.Array {
		var kept []*value
		for _, x := range e.Elems {
			if x.Kind != jsontree.Null {
				kept = append(kept, x)
			}
		}
		if len(kept) != len(e.Elems) {
			null = true
			if c == v {
				c = v.Clone()
			}
			c.Set("enum", jsontree.NewArray(kept...))
		}
	}
	return c, null, ptr
}

// typeNames describes the types a schema allows: "string", "number or
// integer", "any" when it names none.
func typeNames(s *value) string {
	set := typeSet(s)
	if len(set) == 0 {
		return "any"
	}
	names := make([]string, 0, len(set))
	for t := range set {
		names = append(names, t)
	}
	slices.Sort(names)
	return strings.Join(names, " or ")
}
