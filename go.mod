module github.com/vigil-nsm/vigil

go 1.26
