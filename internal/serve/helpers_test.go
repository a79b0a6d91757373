package serve

import "github.com/vigil-nsm/vigil/internal/store"

func flowFilter(limit int) store.FlowFilter {
	return store.FlowFilter{Proto: "tcp", Paging: store.Paging{Limit: limit}}
}
