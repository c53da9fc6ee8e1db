package replay

// object is something of the registry a request reads or writes: a blob
// in a repository, a manifest by digest in one, a tag, a repository's tag
// list, or the catalog.
type object struct {
	kind byte // 'b' blob, 'm' manifest, 't' tag, 'l' tag list, 'c' catalog
	repo string
	name string // digest, manifest key or tag
}

// touch records what an action read and wrote, once its manifest is known.
func (a *action) touch() {
	repo := a.repo
	switch a.step.Op {
	case StepCatalog:
		a.reads = []object{{kind: 'c'}}
	case StepTags:
		a.reads = []object{{kind: 'l', repo: repo}}
	case StepManifestGet, StepManifestHead:
		if a.tag != "" {
			a.reads = []object{{kind: 't', repo: repo, name: a.tag}}
		} else {
			a.reads = []object{{kind: 'm', repo: repo, name: a.manifest}}
		}
	case StepManifestPut:
		a.writes = []object{{kind: 'm', repo: repo, name: a.manifest}, {kind: 'l', repo: repo}, {kind: 'c'}}
		if a.tag != "" {
			a.writes = append(a.writes, object{kind: 't', repo: repo, name: a.tag})
		}
	case StepManifestDelete:
		a.writes = []object{{kind: 'l', repo: repo}}
		if a.tag != "" {
			a.writes = append(a.writes, object{kind: 't', repo: repo, name: a.tag})
		} else {
			a.writes = append(a.writes, object{kind: 'm', repo: repo, name: a.manifest})
			for _, t := range a.deletedTags {
				a.writes = append(a.writes, object{kind: 't', repo: repo, name: t})
			}
		}
	case StepBlobGet, StepBlobHead:
		a.reads = []object{{kind: 'b', repo: repo, name: a.digest}}
	case StepBlobDelete, StepUpload:
		a.writes = []object{{kind: 'b', repo: repo, name: a.digest}}
	case StepBlobMount:
		a.reads = []object{{kind: 'b', repo: a.from, name: a.digest}}
		a.writes = []object{{kind: 'b', repo: repo, name: a.digest}}
	}
}
