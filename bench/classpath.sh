# Sourced by the bench run scripts (from the repository root): bench_classpath LIB puts the bench
# jar and Osprey's own jars into LIB and prints the classpath. The entries come from the bench jar's
# manifest (see bench/pom.xml): the dependency plugin cannot resolve offline here. Osprey's jars are
# taken from the modules' target/ folders and copied aside, so that another build cannot rewrite
# (or clean) them under a running JVM, which opens jars lazily; the rest come from ~/.m2.
bench_classpath() {
    local lib=$1 jar cp_entries classpath entry name module
    jar=$(ls "$PWD"/bench/target/osprey-bench-*.jar | grep -v -- '-sources\|-tests' | head -1)
    mkdir -p "$lib/manifest"
    (cd "$lib/manifest" && jar xf "$jar" META-INF/MANIFEST.MF)
    cp_entries=$(sed -e 's/\r$//' "$lib/manifest/META-INF/MANIFEST.MF" | awk '
        /^Class-Path: / { on = 1; sub(/^Class-Path: /, ""); printf "%s", $0; next }
        on && /^ / { sub(/^ /, ""); printf "%s", $0; next }
        { on = 0 }')
    cp "$jar" "$lib/"
    classpath="$lib/$(basename "$jar")"
    for entry in $cp_entries; do
        if [[ "$entry" == */dev/osprey/osprey-* ]]; then
            name=$(basename "$entry")                      # osprey-core-0.1.0-SNAPSHOT.jar
            module=${name#osprey-}; module=${module%%-*}   # core
            cp "$module/target/$name" "$lib/" && entry="$lib/$name"
        fi
        classpath="$classpath:$entry"
    done
    printf '%s' "$classpath"
}
