#!/usr/bin/env bash
# Stages the Docker build contexts of the job image from the Maven build:
#
#   target/docker/cpu/   usrlib/edu-emotionnet.jar  lib/onnxruntime.jar      model/edu_emotionnet.onnx
#   target/docker/cuda/  usrlib/edu-emotionnet.jar  lib/onnxruntime_gpu.jar  model/edu_emotionnet.onnx
#
# then: docker build -f docker/Dockerfile.cpu  -t edu-emotionnet:<version>      target/docker/cpu
#       docker build -f docker/Dockerfile.cuda -t edu-emotionnet:<version>-cuda target/docker/cuda
#
# The job jar is built with ONNX Runtime as a provided dependency: the image carries ONNX Runtime once,
# in Flink's lib/, so its native library is loaded once per JVM (../shared/STACK.md trap 2). The jar
# is the same for both variants; only the ONNX Runtime build in lib/ differs (CPU or CUDA, never both).
#
# Usage: docker/build-context.sh [cpu|cuda|all]   (default all; MVN overrides the Maven command)
set -euo pipefail
cd "$(dirname "$0")/.."

variants=${1:-all}
case "$variants" in
  all) variants="cpu cuda" ;;
  cpu|cuda) ;;
  *) echo "usage: $0 [cpu|cuda|all]" >&2; exit 2 ;;
esac
mvn=(${MVN:-mvn} -q -B -Dstyle.color=never)
ort=(dependency:copy-dependencies -DincludeGroupIds=com.microsoft.onnxruntime -Dmdep.stripVersion=true)

# Build in a copy of the sources under target/docker/build: a fresh directory, so no stale jar from an
# earlier `mvn package` (ONNX Runtime inside) is re-shaded, and the project's own target/classes are
# never rewritten (the deployment tests run this script while the test JVM loads classes from there).
rm -rf target/docker
build=target/docker/build
mkdir -p "$build/model/benchmark"
cp -r pom.xml src avro "$build/"
cp model/edu_emotionnet.onnx "$build/model/"
cp model/benchmark/spec.json "$build/model/benchmark/"

echo "building the job jar (ONNX Runtime provided) ..."
"${mvn[@]}" -f "$build/pom.xml" -DskipTests -Dmaven.test.skip=true -Donnxruntime.scope=provided package
jar_file=$(ls "$build"/target/edu-emotionnet-streaming-[0-9]*.jar)
version=${jar_file#"$build"/target/edu-emotionnet-streaming-}
version=${version%.jar}
jar_tool=$(command -v jar || echo "${JAVA_HOME:-/usr}/bin/jar")
# grep without -q reads the whole listing: with -q, jar could die of SIGPIPE and pipefail hide the match
if "$jar_tool" tf "$jar_file" | grep '^ai/onnxruntime/' >/dev/null; then
  echo "$jar_file contains ONNX Runtime; it must be built with -Donnxruntime.scope=provided" >&2
  exit 1
fi

for variant in $variants; do
  context=target/docker/$variant
  mkdir -p "$context/usrlib" "$context/lib" "$context/model"
  cp "$jar_file" "$context/usrlib/edu-emotionnet.jar"
  cp model/edu_emotionnet.onnx "$context/model/edu_emotionnet.onnx"
  # the ONNX Runtime jar of the pom's version: onnxruntime (CPU) or, with -Pcuda, onnxruntime_gpu
  profile=()
  [ "$variant" = cuda ] && profile=(-Pcuda)
  echo "copying ONNX Runtime ($variant) ..."
  "${mvn[@]}" -f "$build/pom.xml" "${profile[@]}" -Donnxruntime.scope=provided "${ort[@]}" -DoutputDirectory="$PWD/$context/lib"
done

echo "build contexts ready:"
for variant in $variants; do
  suffix=""
  [ "$variant" = cuda ] && suffix="-cuda"
  echo "  docker build -f docker/Dockerfile.$variant -t edu-emotionnet:$version$suffix target/docker/$variant"
done
