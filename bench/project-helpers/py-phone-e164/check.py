from crm.contacts import german_contact
assert german_contact("Ada", "030 123456")["phone"] == "+4930123456"
