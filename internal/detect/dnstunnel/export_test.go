package dnstunnel

import "github.com/vigil-nsm/vigil/internal/detect/domain"

func registered(name string) (string, string) {
	reg, sub := domain.Registered(name)
	return domain.Normalize(reg), sub
}
