package dev.peft4j.it;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * A class loader that delegates to its parent but hides classes and resources under some path
 * prefixes, to build registries that lack part of the class path: the engine modules, their native
 * jars.
 */
final class HidingClassLoader extends ClassLoader {

    private final List<String> hidden;

    /**
     * Creates the loader.
     *
     * @param parent the class path it shows
     * @param hidden resource path prefixes it hides, for example {@code native/} or {@code
     *     dev/peft4j/engine/} (a class is hidden when its {@code .class} file is)
     */
    HidingClassLoader(ClassLoader parent, List<String> hidden) {
        super(parent);
        this.hidden = List.copyOf(hidden);
    }

    private boolean hides(String resource) {
        return hidden.stream().anyMatch(resource::startsWith);
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (hides(name.replace('.', '/') + ".class")) {
            throw new ClassNotFoundException(name + " is hidden");
        }
        return super.loadClass(name, resolve);
    }

    @Override
    public URL getResource(String name) {
        return hides(name) ? null : super.getResource(name);
    }

    @Override
    public Enumeration<URL> getResources(String name) throws IOException {
        return hides(name) ? Collections.emptyEnumeration() : super.getResources(name);
    }
}
