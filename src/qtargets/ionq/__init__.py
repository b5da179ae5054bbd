"""IonQ: characterization payloads, native gates (GPI, GPI2, MS, ZZ) and conversion."""
