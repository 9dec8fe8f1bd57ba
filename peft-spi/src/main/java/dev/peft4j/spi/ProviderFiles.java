package dev.peft4j.spi;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The providers a class loader's {@code META-INF/services/<service>} files declare (the format of
 * {@link java.util.ServiceLoader}, which {@code @AutoService} writes), each with the class path
 * entry that declares it. Unlike {@code ServiceLoader}, it keeps the jar of every declaration, so
 * that a provider that cannot load is reported with its jar, and a class that two jars hold in
 * different versions is an error rather than silently loaded from the first. Identical copies (a
 * jar that is on the class path twice) count once.
 */
final class ProviderFiles {

    private static final String PREFIX = "META-INF/services/";

    /**
     * One provider class named by a services file.
     *
     * @param className the provider's binary name
     * @param source the jar or directory whose services file names it
     * @param classFile where that jar or directory holds the class
     */
    record Declaration(String className, String source, URL classFile) {}

    private ProviderFiles() {}

    /**
     * The providers declared for a service, in class path order, each once.
     *
     * @param type the service interface
     * @param noun how messages call one plugin, for example {@code adapter}
     * @param loader the class loader whose services files are read
     * @param problems receives unreadable files and lines that are no class name
     * @return the declarations
     * @throws PeftException when two jars hold different versions of one provider class
     */
    static List<Declaration> read(Class<?> type, String noun, ClassLoader loader, List<PluginProblem> problems) {
        String file = PREFIX + type.getName();
        Map<String, Declaration> declared = new LinkedHashMap<>();
        Enumeration<URL> files;
        try {
            files = loader.getResources(file);
        } catch (IOException e) {
            problems.add(new PluginProblem(type.getSimpleName(), "?", "?", "cannot list " + file + ": " + e));
            return List.of();
        }
        while (files.hasMoreElements()) {
            URL url = files.nextElement();
            String source = entryOf(url, file);
            for (String className : classNames(url, type, source, problems)) {
                Declaration declaration = new Declaration(className, source, sibling(url, file, className));
                Declaration previous = declared.putIfAbsent(className, declaration);
                if (previous != null && !previous.source().equals(source) && !sameBytes(previous, declaration)) {
                    throw new PeftException("Two jars hold different versions of the " + noun + " plugin " + className
                            + ": " + previous.source() + " and " + source
                            + ". Remove one of the jars from the class path.");
                }
            }
        }
        return List.copyOf(declared.values());
    }

    private static List<String> classNames(URL url, Class<?> type, String source, List<PluginProblem> problems) {
        List<String> names = new ArrayList<>();
        try (InputStream in = url.openStream();
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            int number = 0;
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                number++;
                int comment = line.indexOf('#');
                String name = (comment < 0 ? line : line.substring(0, comment)).trim();
                if (name.isEmpty()) {
                    continue;
                }
                if (isBinaryName(name)) {
                    names.add(name);
                } else {
                    problems.add(new PluginProblem(
                            type.getSimpleName(),
                            "?",
                            source,
                            "line " + number + " of " + PREFIX + type.getName() + " is not a class name: '" + name
                                    + "'"));
                }
            }
        } catch (IOException e) {
            problems.add(new PluginProblem(type.getSimpleName(), "?", source, "cannot read " + url + ": " + e));
        }
        return names;
    }

    /** The URL of a class file in the class path entry of a services file. */
    private static URL sibling(URL servicesFile, String resource, String className) {
        String spec = servicesFile.toString();
        try {
            return new URL(
                    spec.substring(0, spec.length() - resource.length()) + className.replace('.', '/') + ".class");
        } catch (MalformedURLException e) {
            return servicesFile;
        }
    }

    /** Whether two declarations hold the same class file; an unreadable one is never the same. */
    private static boolean sameBytes(Declaration a, Declaration b) {
        try (InputStream first = a.classFile().openStream();
                InputStream second = b.classFile().openStream()) {
            return Arrays.equals(first.readAllBytes(), second.readAllBytes());
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isBinaryName(String name) {
        for (String part : name.split("\\.", -1)) {
            if (part.isEmpty()
                    || !Character.isJavaIdentifierStart(part.codePointAt(0))
                    || !part.codePoints().allMatch(Character::isJavaIdentifierPart)) {
                return false;
            }
        }
        return true;
    }

    /** The class path entry (jar or directory) a resource URL points into, as a file path. */
    private static String entryOf(URL url, String resource) {
        String spec = url.toString();
        if ("jar".equals(url.getProtocol()) && spec.contains("!/")) {
            try {
                return new URL(spec.substring("jar:".length(), spec.indexOf("!/"))).getPath();
            } catch (MalformedURLException e) {
                return spec;
            }
        }
        String path = url.getPath();
        return path.endsWith(resource) ? path.substring(0, path.length() - resource.length()) : path;
    }
}
