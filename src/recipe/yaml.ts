// The one door to the `yaml` package. `npm run build` replaces the compiled copy of this file with a
// single-file bundle (scripts/bundle-yaml.mjs), because loading yaml's ~70 modules dominated a cold `bake validate`.
export {
  type Document,
  type ErrorCode,
  isAlias,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
