from goshi.entry import main

main()
