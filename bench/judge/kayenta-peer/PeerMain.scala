// Peer driver (ours, not Kayenta's): reads one JSON object per line, runs Kayenta's per-metric path
// (NetflixACAJudge.transformMetric, then MannWhitneyClassifier with the literals classifyMetric uses), prints one JSON line.
package peer

import com.fasterxml.jackson.databind.{JsonNode, ObjectMapper}
import com.fasterxml.jackson.databind.node.ObjectNode
import com.netflix.kayenta.judge.{Metric, NetflixACAJudge}
import com.netflix.kayenta.judge.classifiers.metric._
import com.netflix.kayenta.judge.utils.RandomUtils
import scala.io.StdIn
import scala.jdk.CollectionConverters._

object PeerMain {
  private val mapper = new ObjectMapper()

  // null is a gap (NaN); "Infinity" / "-Infinity" arrive as strings, JSON having no such numbers.
  private def values(node: JsonNode): Array[Double] =
    node.elements().asScala.map(v => if (v.isNull) Double.NaN else if (v.isTextual) v.asText().toDouble else v.asDouble()).toArray

  private def put(out: ObjectNode, key: String, value: Double): Unit =
    if (value.isNaN || value.isInfinite) out.put(key, value.toString) else out.put(key, value)

  def main(args: Array[String]): Unit = {
    val judge = new NetflixACAJudge()
    var line = StdIn.readLine()
    while (line != null) {
      if (line.trim.nonEmpty) {
        val in = mapper.readTree(line)
        val out = mapper.createObjectNode()
        out.put("id", in.path("id").asText())
        RandomUtils.init(in.path("seed").asInt(0))
        val measure = in.path("measure").asText("meanRatio")
        val default = if (measure == "cles") 0.5 else 1.0
        def num(key: String) = if (in.has(key)) in.get(key).asDouble() else default
        val nan = NaNStrategy.parse(in.path("nanStrategy").asText("none"))
        val outliers = OutlierStrategy.parse(in.path("outlierStrategy").asText("none"))
        val factor = if (in.has("outlierFactor")) in.get("outlierFactor").asDouble() else 3.0
        val control = judge.transformMetric(Metric("m", values(in.get("control")), "Baseline"), nan, outliers, factor)
        val experiment = judge.transformMetric(Metric("m", values(in.get("experiment")), "Canary"), nan, outliers, factor)
        out.put("controlCount", control.values.length)
        out.put("experimentCount", experiment.values.length)
        val classifier = new MannWhitneyClassifier(tolerance = 0.25, confLevel = 0.98,
          (num("allowedDecrease"), num("allowedIncrease")), (num("criticalDecrease"), num("criticalIncrease")), measure)
        try {
          val c = classifier.classify(control, experiment, MetricDirection.parse(in.path("direction").asText("either")),
            nan, in.path("critical").asBoolean(false), in.path("mustHaveData").asBoolean(false))
          out.put("classification", c.classification.toString)
          out.put("critical", c.critical)
          put(out, "ratio", c.deviation)
          out.put("reason", c.reason.getOrElse(""))
          // The interval numbers, recomputed with the same seed (only the both-constant case draws noise).
          if (experiment.values.nonEmpty && control.values.nonEmpty &&
              experiment.values.union(control.values).distinct.length > 1 &&
              !experiment.values.sorted.sameElements(control.values.sorted)) {
            RandomUtils.init(in.path("seed").asInt(0))
            val mw = classifier.MannWhitneyUTest(experiment.values, control.values)
            put(out, "confidenceLower", mw.lowerConfidence)
            put(out, "confidenceUpper", mw.upperConfidence)
            put(out, "estimate", mw.estimate)
            put(out, "effectSize", mw.effectSize)
          }
        } catch {
          case e: RuntimeException =>
            // NetflixACAJudge.classifyMetric turns any RuntimeException into Error (critical false).
            out.put("classification", "Error")
            out.put("critical", false)
            out.put("reason", s"Metric Classification Failed: ${e.getClass.getSimpleName}: ${e.getMessage}")
        }
        println(mapper.writeValueAsString(out))
        Console.flush()
      }
      line = StdIn.readLine()
    }
  }
}
