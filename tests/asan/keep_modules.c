/* Linked into the sanitizer build only (./build.sh asan-test): keeps every shared object
 * loaded until exit, so LeakSanitizer can name the Open MPI components that allocated
 * (they show as <unknown module> once MPI_Finalize has dlclose'd them) and
 * tests/asan/lsan.supp can filter them. Open MPI 4.1 has no MCA parameter for this
 * (mca_base_component_disable_dlclose arrived in 5.0). */
int dlclose(void *handle);

int dlclose(void *handle) {
  (void)handle;
  return 0;
}
