// Package gojson holds encoding/json's rules that retabhook must follow
// exactly outside encoding/json: which struct fields a JSON object's
// members go to.
package gojson

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"unicode"
)

// Field is a struct field encoding/json encodes and decodes, with its JSON
// name.
type Field struct {
	Name   string // the JSON name
	Tagged bool   // the name comes from a json tag
	Index  []int  // for reflect.Value.FieldByIndex
	Field  reflect.StructField
	Owner  reflect.Type // the struct type that declares the field
	// OmitEmpty and OmitZero: the tag's options.
	OmitEmpty, OmitZero bool
	// Quoted: the tag's string option, which encoding/json honours only
	// for a bool, integer, float or string field (or an unnamed pointer
	// to one); the value is then a JSON string holding the literal.
	Quoted bool
}

// Fields lists the fields of struct type t that encoding/json uses, in
// index order, following its selection rules for embedded structs: the
// shallower field wins, then the tagged one, and a tie drops the name.
// Dropped lists the candidates that lost (or tied), by name.
func Fields(t reflect.Type) (fields []Field, dropped []Field) {
	type scan struct {
		typ   reflect.Type
		index []int
	}
	var all []Field
	next := []scan{{typ: t}}
	var count, nextCount map[reflect.Type]int
	visited := map[reflect.Type]bool{}
	for len(next) > 0 {
		current := next
		next = nil
		count, nextCount = nextCount, map[reflect.Type]int{}
		for _, f := range current {
			if visited[f.typ] {
				continue
			}
			visited[f.typ] = true
			for i := range f.typ.NumField() {
				sf := f.typ.Field(i)
				if sf.Anonymous {
					et := sf.Type
					if et.Kind() == reflect.Pointer {
						et = et.Elem()
					}
					if !sf.IsExported() && et.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTag(name) {
					name = ""
				}
				index := append(slices.Clip(f.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					tagged := name != ""
					if name == "" {
						name = sf.Name
					}
					o := "," + opts + ","
					fd := Field{Name: name, Tagged: tagged, Index: index, Field: sf, Owner: f.typ,
						OmitEmpty: strings.Contains(o, ",omitempty,"), OmitZero: strings.Contains(o, ",omitzero,"),
						Quoted: strings.Contains(o, ",string,") && quotable(ft.Kind())}
					all = append(all, fd)
					if count[f.typ] > 1 {
						all = append(all, fd) // several instances: a tie
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, scan{typ: ft, index: index})
				}
			}
		}
	}
	slices.SortStableFunc(all, func(a, b Field) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		if c := cmp.Compare(len(a.Index), len(b.Index)); c != 0 {
			return c
		}
		if a.Tagged != b.Tagged {
			if a.Tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(a.Index, b.Index)
	})
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].Name == all[i].Name {
			j++
		}
		group := all[i:j]
		switch {
		case len(group) == 1:
			fields = append(fields, group[0])
		case len(group[0].Index) == len(group[1].Index) && group[0].Tagged == group[1].Tagged:
			dropped = append(dropped, group...)
		default:
			fields = append(fields, group[0])
			dropped = append(dropped, group[1:]...)
		}
		i = j
	}
	slices.SortFunc(fields, func(a, b Field) int { return slices.Compare(a.Index, b.Index) })
	return fields, dropped
}

// Lookup returns the field a member named key decodes into, as
// encoding/json picks it: the exact name, else a case-insensitive match.
func Lookup(fields []Field, key string) (Field, bool) {
	for _, f := range fields {
		if f.Name == key {
			return f, true
		}
	}
	for _, f := range fields {
		if strings.EqualFold(f.Name, key) {
			return f, true
		}
	}
	return Field{}, false
}

// quotable reports whether encoding/json applies a string tag option to a
// field of kind k.
func quotable(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

func validTag(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		switch {
		case strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c):
		case !unicode.IsLetter(c) && !unicode.IsDigit(c):
			return false
		}
	}
	return true
}
