package dev.peft4j.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Every platform the build and the README support resolves: for each {@code native.classifier}
 * the root POM sets (by default and in its profiles), Maven Central serves the PyTorch native jar,
 * the JNI jar and, where the MXNet engine's profile brings it (x86-64), the MXNet native jar; the
 * README names exactly those platforms and documents no profile the POMs lack. The requests need
 * Maven Central, as the build does; without it the test is skipped.
 */
class DocumentedPlatformsIT {

    private static final String CENTRAL = "https://repo.maven.apache.org/maven2/";
    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    @Test
    void everyPlatformsNativeJarsAreServedAndTheReadmeNamesThem() throws Exception {
        Path root = PublishedJarsIT.root();
        Element project = xml(root.resolve("pom.xml"));
        Map<String, String> properties = properties(child(project, "properties"));
        TreeSet<String> classifiers = new TreeSet<>(List.of(properties.get("native.classifier")));
        NodeList profiles = project.getElementsByTagName("profile");
        List<String> profileIds = new ArrayList<>();
        for (int i = 0; i < profiles.getLength(); i++) {
            Element profile = (Element) profiles.item(i);
            profileIds.add(text(child(profile, "id")));
            Element own = child(profile, "properties");
            if (own != null && properties(own).containsKey("native.classifier")) {
                classifiers.add(properties(own).get("native.classifier"));
            }
        }
        String mxnetArch = text(child(
                child(
                        child(
                                (Element) xml(root.resolve("engines/engine-mxnet/pom.xml"))
                                        .getElementsByTagName("profile")
                                        .item(0),
                                "activation"),
                        "os"),
                "arch"));
        assertEquals("amd64", mxnetArch, "the MXNet natives come for x86-64 only");

        String readme = Files.readString(root.resolve("README.md"));
        classifiers.forEach(classifier -> assertTrue(readme.contains("`" + classifier + "`"), classifier));
        for (String id : profileIds) {
            assertTrue(classifiers.stream().anyMatch(id::equals), "profile " + id + " is a platform profile");
        }
        assertFalse(readme.contains("-P"), "the README documents no profile to activate by hand");

        HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
        assumeTrue(reachable(http), "Maven Central (" + CENTRAL + ") cannot be reached from here");
        List<String> missing = new ArrayList<>();
        String jni = "ai/djl/pytorch/pytorch-jni/2.7.1-0.35.0/pytorch-jni-2.7.1-0.35.0.jar";
        check(http, jni, missing);
        for (String classifier : classifiers) {
            check(
                    http,
                    jar(
                            "ai/djl/pytorch",
                            properties.get("pytorch.native.artifact"),
                            properties.get("pytorch.native.version"),
                            classifier),
                    missing);
            if (classifier.endsWith("x86_64")) {
                check(
                        http,
                        jar(
                                "ai/djl/mxnet",
                                properties.get("mxnet.native.artifact"),
                                properties.get("mxnet.native.version"),
                                classifier),
                        missing);
            }
        }
        assertEquals(List.of(), missing, "native jars Maven Central does not serve");
    }

    private static String jar(String group, String artifact, String version, String classifier) {
        return group + "/" + artifact + "/" + version + "/" + artifact + "-" + version + "-" + classifier + ".jar";
    }

    private static boolean reachable(HttpClient http) {
        try {
            http.send(request(""), HttpResponse.BodyHandlers.discarding());
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void check(HttpClient http, String path, List<String> missing) throws Exception {
        int status =
                http.send(request(path), HttpResponse.BodyHandlers.discarding()).statusCode();
        if (status != 200) {
            missing.add(path + " (HTTP " + status + ")");
        }
    }

    private static HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create(CENTRAL + path))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .timeout(TIMEOUT)
                .build();
    }

    private static Element xml(Path file) throws Exception {
        Document document =
                DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
        return document.getDocumentElement();
    }

    private static Element child(Element parent, String name) {
        if (parent == null) {
            return null;
        }
        for (int i = 0; i < parent.getChildNodes().getLength(); i++) {
            if (parent.getChildNodes().item(i) instanceof Element element
                    && element.getTagName().equals(name)) {
                return element;
            }
        }
        return null;
    }

    private static Map<String, String> properties(Element properties) {
        Map<String, String> values = new TreeMap<>();
        for (int i = 0; i < properties.getChildNodes().getLength(); i++) {
            if (properties.getChildNodes().item(i) instanceof Element element) {
                values.put(element.getTagName(), element.getTextContent().strip());
            }
        }
        return values;
    }

    private static String text(Element element) {
        return element == null ? null : element.getTextContent().strip();
    }
}
