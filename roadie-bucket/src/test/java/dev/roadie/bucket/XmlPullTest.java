package dev.roadie.bucket;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamReader;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * {@link XmlPull} reads what the JDK's XML parser reads: the same tags, and the same text of every
 * element named T, over documents with everything XML allows in a server's answer.
 */
class XmlPullTest {
  static final List<String> DOCUMENTS =
      List.of(
          "<a><T>plain</T></a>",
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
              + "<T>x</T></a>",
          "<a><T>&lt;&gt;&amp;&quot;&apos; &#65;&#x42;&#x1F600;&#233;</T></a>",
          "<a><T>crlf\r\nlf\nlone cr\rend</T><T>ref &#13;&#xD;&#10; kept\r\n</T></a>",
          "<a><T>be<![CDATA[ <not a tag> & \r\n ]]>fore</T><T><![CDATA[]]></T></a>",
          "<a><!-- a comment --><T>te<!-- inside -->xt<?pi x?></T><?pi at the end?></a>",
          "<a x=\"1 > 0\" y='it\"s'><T z=\"/>\">attrs</T><T/><T attr=\"v\" /></a>",
          "<s3:a xmlns:s3=\"urn:x\"><s3:T>prefixed</s3:T></s3:a>",
          "<a><T>ünïcödé 日本語 😀 \t tab</T><T>   spaces   </T><T></T></a>",
          "<a>\n  <b>\n    <T>nested</T>\n    <c><d/><T>deeper</T></c>\n  </b >\n</a>",
          "<a><T>%2B+%25 a+b</T><T>/slash</T></a>");

  @Test
  void readsWhatTheJdkParserReads() throws Exception {
    XMLInputFactory f = XMLInputFactory.newFactory();
    for (String doc : DOCUMENTS) {
      byte[] bytes = doc.getBytes(StandardCharsets.UTF_8);
      List<String> jdk = new ArrayList<>();
      XMLStreamReader x = f.createXMLStreamReader(new ByteArrayInputStream(bytes), "UTF-8");
      while (x.hasNext()) {
        int ev = x.next();
        if (ev == XMLStreamReader.START_ELEMENT) {
          jdk.add("<" + x.getLocalName());
          if (x.getLocalName().equals("T")) {
            jdk.add("text " + x.getElementText());
            jdk.add("/T");
          }
        } else if (ev == XMLStreamReader.END_ELEMENT) {
          jdk.add("/" + x.getLocalName());
        }
      }
      List<String> ours = new ArrayList<>();
      XmlPull p = new XmlPull(bytes);
      for (int ev; (ev = p.next()) != XmlPull.EOF; ) {
        if (ev == XmlPull.START) {
          ours.add("<" + p.localName());
          if (p.localName().equals("T")) {
            ours.add("text " + p.text());
            ours.add("/" + p.localName());
          }
        } else {
          ours.add("/" + p.localName());
        }
      }
      assertEquals(jdk, ours, doc);
    }
  }

  @Test
  void skipsAnElementWithAllItHolds() throws Exception {
    XmlPull p = new XmlPull(bytes("<a><Owner><ID>1</ID><x><y/></x></Owner><T>after</T></a>"));
    assertEquals(XmlPull.START, p.next());
    assertEquals(XmlPull.START, p.next());
    assertEquals("Owner", p.localName());
    p.skip();
    assertEquals(XmlPull.START, p.next());
    assertEquals("after", p.text());
    assertEquals(XmlPull.END, p.next());
    assertEquals("a", p.localName());
    assertEquals(XmlPull.EOF, p.next());
  }

  @Test
  void readsChildrenToTheirParentsEnd() throws Exception {
    XmlPull p = new XmlPull(bytes("<r><a><b>1</b><c/><d><e/></d></a><z>2</z></r>"));
    p.root("r");
    assertTrue(p.nextChild());
    assertEquals("a", p.localName());
    List<String> children = new ArrayList<>();
    while (p.nextChild()) {
      children.add(p.localName());
      if (p.localName().equals("b")) assertEquals("1", p.text());
      else p.skip();
    }
    assertEquals(List.of("b", "c", "d"), children);
    assertTrue(p.nextChild());
    assertEquals("2", p.text());
    assertFalse(p.nextChild());
    assertThrows(XmlPull.XmlException.class, () -> new XmlPull(bytes("<x/>")).root("r"));
    XmlPull cut = new XmlPull(bytes("<r><a>"));
    cut.root("r");
    assertTrue(cut.nextChild());
    assertThrows(XmlPull.XmlException.class, cut::nextChild, "a document that ends inside <a>");
  }

  /** An error document sent with a 200 status is refused, not read as an empty last page. */
  @Test
  void anAnswerOfAnotherKindIsNoListing() {
    byte[] error = bytes("<?xml version=\"1.0\"?><Error><Code>InternalError</Code></Error>");
    assertThrows(SdkClientException.class, () -> ListingXml.objects(error));
    assertThrows(SdkClientException.class, () -> ListingXml.versions(error));
    assertEquals(
        List.of("a b"),
        ListingXml.objects(
                bytes(
                    "<ListBucketResult><Contents><Key>a+b</Key><Size>1</Size></Contents>"
                        + "<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
                        + "</ListBucketResult>"))
            .objects()
            .stream()
            .map(ListedObject::key)
            .toList());
  }

  @Test
  void refusesWhatIsNotWellFormedOrExpandsEntities() {
    for (String doc :
        List.of(
            "<!DOCTYPE a [<!ENTITY e \"x\">]><a>&e;</a>",
            "<a><T>&e;</T></a>",
            "<a><T>&#xFFFF;</T></a>",
            "<a><T>&#0;</T></a>",
            "<a><T>&amp</T></a>",
            "<a><b></a></b>",
            "<a><T>unterminated",
            "<a><b>",
            "</a>",
            "<a><T>text<b/>more</T></a>",
            "<a x=\"never closed></a>")) {
      assertThrows(XmlPull.XmlException.class, () -> readAll(doc), doc);
    }
  }

  private static void readAll(String doc) throws XmlPull.XmlException {
    XmlPull p = new XmlPull(bytes(doc));
    for (int ev; (ev = p.next()) != XmlPull.EOF; ) {
      if (ev == XmlPull.START && p.localName().equals("T")) p.text();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
