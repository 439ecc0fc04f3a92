#!/usr/bin/env bash
# Builds the Kayenta peer for bench/judge/kayenta-peer.ts (see README.md beside this file).
# Usage: build.sh <kayenta-source-checkout> [build-dir, default /tmp/kayenta-build]
set -euo pipefail
src=${1:?usage: build.sh <kayenta source checkout> [build dir]}
out=${2:-/tmp/kayenta-build}
here=$(cd "$(dirname "$0")" && pwd)
judge=$src/kayenta-judge/src/main/scala/com/netflix/kayenta/judge
mw=$src/kayenta-mannwhitney/src/main

mkdir -p "$out/jars"
for artifact in org.scala-lang:scala-compiler:2.13.18 org.scala-lang:scala-library:2.13.18 \
  org.scala-lang:scala-reflect:2.13.18 org.apache.commons:commons-math3:3.6.1 \
  com.fasterxml.jackson.core:jackson-databind:2.17.2 com.fasterxml.jackson.core:jackson-core:2.17.2 \
  com.fasterxml.jackson.core:jackson-annotations:2.17.2; do
  mvn -q dependency:copy -Dartifact="$artifact" -DoutputDirectory="$out/jars"
done

rm -rf "$out/src" "$out/classes"
mkdir -p "$out/src/classifiers" "$out/classes"
cp -r "$judge"/{preprocessing,stats,detectors,utils} "$out/src/"
cp "$judge"/classifiers/metric/{BaseMetricClassifier,MannWhitneyClassifier}.scala "$out/src/classifiers/"
cp -r "$mw/scala/com/netflix/kayenta/mannwhitney" "$out/src/"
cp "$mw/java/com/netflix/kayenta/mannwhitney/BrentSolver.java" "$out/src/mannwhitney/"

# Edit 1 (Scala 2.12 -> 2.13): Tuple2.zipped is gone.
sed -i 's/(data, noise).zipped.map(_ + _)/data.lazyZip(noise).map(_ + _)/' "$out/src/preprocessing/Transforms.scala"
# Edit 2: NetflixACAJudge.scala without judge()/classifyMetric (kayenta-core model, Spring, scala-logging):
# only `case class Metric` and the transform methods are kept, verbatim.
python3 - "$judge/NetflixACAJudge.scala" "$out/src/NetflixACAJudge.scala" <<'PY'
import sys
s = open(sys.argv[1]).read()
start = s.index('  /**\n    * Metric Transformations')
end = s.index('  /**\n    * Metric Classification\n    */\n  def classifyMetric')
head = ('package com.netflix.kayenta.judge\n\nimport com.netflix.kayenta.judge.classifiers.metric._\n'
        'import com.netflix.kayenta.judge.detectors.IQRDetector\nimport com.netflix.kayenta.judge.preprocessing.Transforms\n\n'
        'case class Metric(name: String, values: Array[Double], label: String)\n\nclass NetflixACAJudge {\n\n')
open(sys.argv[2], 'w').write(head + s[start:end] + '}\n')
PY

cp "$here/PeerMain.scala" "$out/src/"
cp=$(ls "$out"/jars/*.jar | tr '\n' ':')
javac -nowarn -d "$out/classes" -cp "$cp" "$out/src/mannwhitney/BrentSolver.java"
java -cp "$cp" scala.tools.nsc.Main -nowarn -d "$out/classes" -cp "$cp$out/classes" $(find "$out/src" -name '*.scala')
(cd "$src" && git rev-parse HEAD) > "$out/KAYENTA_COMMIT"
echo "built $out (kayenta $(cat "$out/KAYENTA_COMMIT"))"
