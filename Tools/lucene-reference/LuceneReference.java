// Reference outputs from real Lucene/Anserini, for Sparrow's analyzer and BM25 fixtures.
// Run through make-fixtures.sh, which fetches the Anserini jar (inside the pyserini wheel on PyPI).
//
//   java LuceneReference analyze  < lines.jsonl   {"id","text"} -> {"id","tokens":[...]}  (Anserini default English analyzer)
//   java LuceneReference tokenize < lines.jsonl   {"id","text"} -> {"id","tokens":[...]}  (StandardTokenizer alone)
//   java LuceneReference hash     < lines.jsonl   {"id","text"} -> "id<TAB>fnv1a64(tokens joined by U+0020, UTF-8)"
//   java LuceneReference smallfloat               "n<TAB>intToByte4(n)<TAB>byte4ToInt(intToByte4(n))" for chosen n
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.anserini.analysis.DefaultEnglishAnalyzer;
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.util.SmallFloat;

public class LuceneReference {
  static List<String> analyze(Analyzer analyzer, String text) throws IOException {
    List<String> out = new ArrayList<>();
    try (TokenStream stream = analyzer.tokenStream("contents", text)) {
      CharTermAttribute term = stream.addAttribute(CharTermAttribute.class);
      stream.reset();
      while (stream.incrementToken()) out.add(term.toString());
      stream.end();
    }
    return out;
  }

  static long fnv1a(String joined) {
    long h = 0xcbf29ce484222325L;
    for (byte b : joined.getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    return h;
  }

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    if (mode.equals("smallfloat")) {
      TreeSet<Integer> values = new TreeSet<>();
      for (int i = 0; i <= 4096; i++) values.add(i);
      for (long v = 4096; v < Integer.MAX_VALUE; v = v * 9 / 8 + 1) { values.add((int) v); values.add((int) v - 1); }
      values.add(Integer.MAX_VALUE);
      PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, "UTF-8");
      for (int n : values) {
        byte b = SmallFloat.intToByte4(n);
        out.println(n + "\t" + Byte.toUnsignedInt(b) + "\t" + SmallFloat.byte4ToInt(b));
      }
      out.flush();
      return;
    }
    Analyzer analyzer = mode.equals("tokenize")
        ? new Analyzer() {
            @Override protected TokenStreamComponents createComponents(String field) {
              StandardTokenizer t = new StandardTokenizer();
              return new TokenStreamComponents(t);
            }
          }
        : DefaultEnglishAnalyzer.newDefaultInstance();
    ObjectMapper mapper = new ObjectMapper();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, "UTF-8");
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) continue;
      JsonNode node = mapper.readTree(line);
      String id = node.get("id").asText();
      List<String> tokens = analyze(analyzer, node.get("text").asText());
      if (mode.equals("hash")) {
        out.println(id + "\t" + Long.toUnsignedString(fnv1a(String.join(" ", tokens)), 16));
      } else {
        ObjectNode o = mapper.createObjectNode();
        o.put("id", id);
        o.put("text", node.get("text").asText());
        ArrayNode a = o.putArray("tokens");
        for (String t : tokens) a.add(t);
        out.println(mapper.writeValueAsString(o));
      }
    }
    out.flush();
  }
}
