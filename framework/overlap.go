package framework

import (
	"fmt"

	"github.com/retabhook/retabhook/schemas"
)

// overlap records that two registered kinds accept a common instance, so
// that routing by schema match cannot tell their deliveries apart.
type overlap struct {
	other    string // the other kind
	instance string // an extracted object both schemas accept, as JSON
}

func (o overlap) message(kind string) string {
	return fmt.Sprintf("%s and %s both accept %s, so routing by schema match cannot tell such a delivery apart (it is refused as ambiguous): "+
		"name the kind (POST /webhook/{kind}, or WithRoute), or make the schemas exclusive (a property only one requires)", kind, o.other, o.instance)
}

// findOverlaps compares a new kind's schema with every registered one,
// once, at registration.
func (r *Router) findOverlaps(sch *schemas.Schema) []overlap {
	r.mu.RLock()
	routes := append([]*route(nil), r.order...)
	r.mu.RUnlock()
	var out []overlap
	for _, rt := range routes {
		if inst, ok := schemas.CommonInstance(sch, rt.schema); ok {
			out = append(out, overlap{other: rt.kind, instance: string(inst)})
		}
	}
	return out
}

// addOverlaps records the overlaps of a new route on both kinds and logs
// each once, as a warning. The caller holds r.mu.
func (r *Router) addOverlaps(rt *route, found []overlap) {
	for _, o := range found {
		rt.overlaps = append(rt.overlaps, o)
		if other := r.routes[o.other]; other != nil {
			other.overlaps = append(other.overlaps, overlap{other: rt.kind, instance: o.instance})
		}
		r.cfg.logger.Warn("retabhook: two registered types accept the same content", "kinds", []string{o.other, rt.kind},
			"instance", o.instance, "hint", "name the kind in the URL (/webhook/{kind}) or make the schemas exclusive")
	}
}
