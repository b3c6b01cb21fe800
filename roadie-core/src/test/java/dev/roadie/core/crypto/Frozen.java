package dev.roadie.core.crypto;

/** Frozen known answers (see KnownAnswerTest for how they were produced). */
final class Frozen {
  static final String BLOB_ID_HELLO =
      "89d86319cd3de88a4072f1192a1608d1b2595ab659849cb2d9867c3a3e6c49f8";
  static final String PACK_KEY = "48590f706201b82d12abbef53efafc02525b8443c11e7953ebabd662dc8e569a";
  static final String GEAR_KEY = "eff77a4b4a06e272cfb8b1d24973d8b128a1969914b4208a9d0a7db6cef858dc";
  static final String MAC_KEY = "be2809d1fcbd0253a051bdf80c6a178b14db84122fbf5449e0a080cb72e4ae52";
  static final String GCM_SMALL =
      "6465666768696a6b6c6d6e6f207eb20a16c924f15f06368df420debc7ff59acad877a0b114f5f608";
}
