package dev.ledgerflow.gateway.web;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.KeyDeserializer;
import tools.jackson.databind.deser.jdk.StringDeserializer;
import tools.jackson.databind.exc.InvalidFormatException;
import tools.jackson.databind.module.SimpleModule;

/**
 * Every text of a request body, values and object keys alike, is one the database can store: a NUL
 * character or half a surrogate pair is refused while the body is read, with the field it was in
 * ({@code text_invalid}), instead of failing the write in PostgreSQL as an internal error. One place
 * for every field of every endpoint, present and future.
 */
final class StorableText {

    private StorableText() {}

    static SimpleModule module() {
        return new SimpleModule("storable-text")
                .addDeserializer(String.class, new Values())
                .addKeyDeserializer(String.class, new Keys());
    }

    /** A text of the body that cannot be stored; its path names the field. */
    static final class Unstorable extends InvalidFormatException {
        Unstorable(JsonParser parser, String problem, String value) {
            super(parser, problem, value, String.class);
        }

        /** What is wrong with the text, without Jackson's location suffix. */
        String problem() {
            return getOriginalMessage();
        }
    }

    private static final class Values extends StringDeserializer {
        @Override
        public String deserialize(JsonParser parser, DeserializationContext context) throws JacksonException {
            String value = super.deserialize(parser, context);
            String problem = value == null ? null : Requests.unstorable(value);
            if (problem != null) {
                throw new Unstorable(parser, problem, value);
            }
            return value;
        }
    }

    private static final class Keys extends KeyDeserializer {
        @Override
        public Object deserializeKey(String key, DeserializationContext context) throws JacksonException {
            String problem = Requests.unstorable(key);
            if (problem != null) {
                throw new Unstorable(context.getParser(), "a key " + problem, key);
            }
            return key;
        }
    }
}
