#!/usr/bin/env bash
# Prints the size of three minimal receivers built from this checkout, as a
# user's module would build them (GOWORK=off, replace directives):
# framework only, durable on an external NATS cluster, durable embedded.
set -euo pipefail
checkout=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
r=github.com/retabhook/retabhook
v=v0.0.0-00010101000000-000000000000
build() { # name, module dirs required besides the root, imports, main body
	local name=$1 mods=$2 imports=$3 body=$4 d="$tmp/$1"
	mkdir -p "$d"
	printf 'module example.com/%s\n\ngo 1.26.0\n' "$name" >"$d/go.mod"
	for m in "" $mods; do
		p=$r${m:+/$m}
		printf 'require %s %s\nreplace %s => %s\n' "$p" "$v" "$p" "$checkout${m:+/$m}" >>"$d/go.mod"
	done
	printf 'package main\n\nimport (\n%s\n)\n\nfunc main() {\n%s\n}\n' "$imports" "$body" >"$d/main.go"
	(cd "$d" && GOWORK=off GOFLAGS=-mod=mod go mod tidy && GOWORK=off go build -o "$d/bin" . &&
		GOWORK=off go build -ldflags=-s -o "$d/bin-s" .)
	printf '%-26s %5.1f MB  (%4.1f MB with -ldflags=-s)\n' "$name" \
		"$(echo "$(stat -c %s "$d/bin") / 1000000" | bc -l)" "$(echo "$(stat -c %s "$d/bin-s") / 1000000" | bc -l)"
}
common='"context"
"net/http"
"github.com/retabhook/retabhook/framework"'
router='r, err := framework.NewRouter(framework.WithSecrets("whsec_x")%s)
if err != nil { panic(err) }
framework.Handle(r, func(context.Context, struct{ N string `json:"n"` }) error { return nil })
_ = http.ListenAndServe(":8000", r)'
build framework-only "" "$common" "$(printf "$router" "")"
build durable-external-cluster handlers/durable "$common
\"github.com/retabhook/retabhook/handlers/durable\"" \
	"e, err := durable.Open(context.Background(), durable.WithURLs(\"nats://127.0.0.1:4222\"))
if err != nil { panic(err) }
$(printf "$router" ", framework.WithDispatcher(e)" | sed 's/r, err :=/r, err2 :=/; s/if err != nil { panic(err) }/if err2 != nil { panic(err2) }/')"
build durable-embedded handlers/durable "$common
\"github.com/retabhook/retabhook/handlers/durable/embedded\"" \
	"e, err := embedded.Open(context.Background())
if err != nil { panic(err) }
$(printf "$router" ", framework.WithDispatcher(e)" | sed 's/r, err :=/r, err2 :=/; s/if err != nil { panic(err) }/if err2 != nil { panic(err2) }/')"
